/** A consistency group's member whose points the test completes one at a time. */
import type { GroupVolume } from '../../../src/replication/points/consistency-group.js';
import type { PointPlan } from '../../../src/replication/points/point-planner.js';

/** A primary volume whose points complete only when the test lets the current one go. */
export function slowVolume(): { volume: GroupVolume; fixed: number[]; finishCurrent: () => void } {
  const fixed: number[] = [];
  const waiting: Array<() => void> = [];
  let lastPointId = 0;
  const volume: GroupVolume = {
    role: 'primary',
    exclusive: (fn) => fn(),
    holding: (fn) => fn(),
    get lastPointId() {
      return lastPointId;
    },
    notePointId: async (id) => {
      lastPointId = id;
    },
    planPoint: async (): Promise<PointPlan> => ({
      holdsWrites: true,
      fix: (marker) => {
        fixed.push(marker.id);
        const taken = new Promise<void>((resolve) => waiting.push(resolve));
        return { after: () => taken };
      },
      release: async () => undefined,
    }),
  };
  return { volume, fixed, finishCurrent: () => waiting.shift()?.() };
}
