/** A generated file LUN, the --lun text that spells it, and the configuration it reads as. */
import fc from 'fast-check';
import type { LunConfig } from '../../src/cli/serve-config.js';

export interface LunSpec {
  path: string;
  readOnly: boolean;
  removable: boolean;
  encrypt: boolean;
  direct: boolean;
  blockSize: 512 | 4096;
  /** Size in blocks, when given. */
  blocks: number | undefined;
  /** log2(physical / logical block size), when given. */
  physicalShift: number | undefined;
}

export const lunPath = fc.stringMatching(/^\/?[A-Za-z0-9_./-]{1,24}$/).filter((p) => !p.startsWith('rbd:'));

export const lunSpec = (withPhysical: boolean): fc.Arbitrary<LunSpec> =>
  fc.record({
    path: lunPath,
    readOnly: fc.boolean(),
    removable: fc.boolean(),
    encrypt: fc.boolean(),
    direct: fc.boolean(),
    blockSize: fc.constantFrom(512 as const, 4096 as const),
    blocks: fc.option(fc.integer({ min: 1, max: 1 << 24 }), { nil: undefined }),
    physicalShift: withPhysical ? fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) : fc.constant(undefined),
  });

/** The --lun options of `spec`, in the canonical order. */
export function lunOptions(spec: LunSpec): string[] {
  return [
    ...(spec.readOnly ? ['readonly'] : []),
    ...(spec.removable ? ['removable'] : []),
    ...(spec.encrypt ? ['encrypt'] : []),
    ...(spec.direct ? ['direct'] : []),
    `blocksize=${spec.blockSize}`,
    ...(spec.blocks !== undefined ? [`size=${spec.blocks * spec.blockSize}`] : []),
    ...(spec.physicalShift !== undefined ? [`physical=${spec.blockSize << spec.physicalShift}`] : []),
  ];
}

/** What parseLun gives for `spec`. */
export function lunConfigOf(spec: LunSpec): LunConfig {
  return {
    path: spec.path,
    readOnly: spec.readOnly,
    blockSize: spec.blockSize,
    ...(spec.removable ? { removable: true } : {}),
    ...(spec.encrypt ? { encrypt: true } : {}),
    ...(spec.direct ? { direct: true } : {}),
    ...(spec.blocks !== undefined ? { size: spec.blocks * spec.blockSize } : {}),
    ...(spec.physicalShift !== undefined ? { physicalBlockSize: spec.blockSize << spec.physicalShift } : {}),
  };
}
