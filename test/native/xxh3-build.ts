/**
 * Whether this build's addon has XXH3-128 (built against libxxhash-dev). Tests of it run
 * when it does and skip on a machine without it, except where TANDEM_REQUIRE_XXH3=1 (CI,
 * which installs libxxhash-dev): there a build that lost it fails instead of skipping.
 */
import { it } from 'vitest';
import { native } from '../../src/native/index.js';

export const HAS_XXH3 = native.digestAlgorithms.includes('xxh3');

const required = process.env.TANDEM_REQUIRE_XXH3 === '1';
if (!HAS_XXH3 && !required) console.warn('XXH3-128 tests skipped: the addon was built without libxxhash-dev; TANDEM_REQUIRE_XXH3=1 makes this a failure');

/** `it` for tests that need XXH3-128 in this build. */
export const itXxh3 = HAS_XXH3 || required ? it : it.skip;
