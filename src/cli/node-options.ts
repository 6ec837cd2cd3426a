/**
 * V8 options every `tandem serve` process runs with: in the shebang of main.ts (so the
 * installed `tandem` command), in `npm start`, and in the targets the benches and the test
 * harness start (a test checks the three agree).
 *
 * A young generation of 8 MiB semi-spaces instead of V8's 16: V8 starts a full (marking)
 * collection whenever the room left under its global limit — old generation plus the
 * external memory of Buffers — is smaller than the young generation's capacity, and a
 * target's heap is small while its Buffers are many, so with 16 MiB semi-spaces a
 * synchronously mirroring primary ran a full collection every 70-100 ms that freed nothing
 * (58 in a bench round; 1 with 8 MiB). Measured: sync mirroring +16-29% scattered 4 KiB
 * writes, async and unreplicated unchanged (docs/performance.md, eighteenth session).
 */
export const SERVE_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=8'];
