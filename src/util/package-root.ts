/**
 * The package's root (see src/native/package-root.ts, where the addon loader, which may not
 * import util, keeps the one implementation).
 */
export { packageRoot } from '../native/package-root.js';
