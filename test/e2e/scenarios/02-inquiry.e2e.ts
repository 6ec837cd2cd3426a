import { expect } from 'vitest';
import { describeFailure, e2eTest, runScenario } from '../harness/scenario.js';

const MiB = 1024 * 1024;
const sizes = [64 * MiB, 96 * MiB];

/** LUN numbers from sg_luns' hex listing (peripheral/flat addressing, 14-bit LUN). */
function lunsFromSgLuns(text: string): number[] {
  return [...text.matchAll(/^\s+([0-9a-f]{16})\s*$/gim)].map((m) => parseInt(m[1]!.slice(0, 4), 16) & 0x3fff);
}

e2eTest(2, 'sg_inq, sg_vpd, sg_readcap and sg_luns show the served LUNs; two LUNs are two disks', async () => {
  const run = await runScenario({
    id: '02-inquiry',
    script: '02-inquiry.sh',
    targets: [{ iqn: 'iqn.2026-11.io.tandem.e2e:inquiry', lunSizes: sizes }],
  });
  const g = run.guest;
  const r = g.results;
  const target = run.targets[0]!;
  expect(g.exitCode, describeFailure(run)).toBe(0);
  expect(r.int('login_rc')).toBe(0);
  expect(r.int('disk_count')).toBe(2);

  const disks = r.all('disk').map((line) => line.split(' '));
  expect(disks.map((d) => Number(d[0])).sort()).toEqual(target.lunNumbers);
  for (const [i, lun] of target.lunNumbers.entries()) {
    const sectors = Number(disks.find((d) => Number(d[0]) === lun)![2]);
    expect(sectors * 512, `LUN ${lun} size`).toBe(sizes[i]);

    expect(r.int(`inq_rc_${lun}`)).toBe(0);
    expect(g.out(`inq-${lun}.txt`)).toMatch(/Peripheral device type: disk/);
    for (const page of ['0x00', '0x80', '0x83', '0xb0', '0xb2']) {
      expect(r.int(`vpd_rc_${page}_${lun}`), `VPD ${page} on LUN ${lun}:\n${g.out(`vpd-${page}-${lun}.txt`)}`).toBe(0);
    }
    const supported = g.out(`vpd-0x00-${lun}.txt`);
    for (const name of ['Unit serial number', 'Device identification', 'Block limits', 'Logical block provisioning']) {
      expect(supported, `VPD 0x00 lists ${name}`).toContain(name);
    }
    expect(g.out(`vpd-0x83-${lun}.txt`)).toMatch(/designator type: NAA/);
    expect(g.out(`vpd-0x80-${lun}.txt`)).toMatch(/Unit serial number:\s+\S+/);

    expect(r.int(`readcap_rc_${lun}`)).toBe(0);
    const readcap = g.out(`readcap-${lun}.txt`);
    expect(readcap).toContain(`Last LBA=${sizes[i]! / 512 - 1} `);
    expect(readcap).toMatch(/Logical block length=512 bytes/);
  }
  expect(r.int('luns_rc')).toBe(0);
  expect(lunsFromSgLuns(g.out('luns.txt')).sort()).toEqual(target.reportedLuns);
  expect(r.int('logout_rc')).toBe(0);
});
