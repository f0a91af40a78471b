import { StandbyPool, type Standby } from '../../../../src/remote/runner/standby-pool';

class Fake implements Standby {
  ended = false;
  constructor(readonly n: number) {}
  end(): void {
    this.ended = true;
  }
}

function pool(max = 4) {
  const made: Fake[] = [];
  const p = new StandbyPool<Fake>(() => {
    const f = new Fake(made.length);
    made.push(f);
    return f;
  }, max);
  return { p, made };
}

describe('StandbyPool', () => {
  it('starts nothing until a target is set, then exactly the target, clamped to max', () => {
    const { p, made } = pool(3);
    expect([p.idle, made.length]).toEqual([0, 0]);
    p.setTarget(2);
    expect([p.idle, made.length]).toEqual([2, 2]);
    p.setTarget(10);
    expect([p.idle, made.length, p.target]).toEqual([3, 3, 3]);
  });

  it('hands each standby out once and starts its replacement at once', () => {
    const { p, made } = pool();
    p.setTarget(1);
    const a = p.take();
    const b = p.take();
    expect(a).toBe(made[0]);
    expect(b).toBe(made[1]);
    expect(a).not.toBe(b);
    expect(p.idle).toBe(1);
    expect(made.length).toBe(3);
    expect(made.some((f) => f.ended)).toBe(false);
  });

  it('take(target) applies the lower target only after the taken one left the pool', () => {
    const { p, made } = pool();
    p.setTarget(1);
    const a = p.take(0);
    expect(a).toBe(made[0]);
    expect(a!.ended).toBe(false);
    expect([p.idle, made.length]).toEqual([0, 1]);
    expect(p.take(0)).toBeNull();
  });

  it('a lower target ends the extra idle standbys', () => {
    const { p, made } = pool();
    p.setTarget(3);
    p.setTarget(1);
    expect(p.idle).toBe(1);
    expect(made.filter((f) => f.ended)).toHaveLength(2);
  });

  it('a standby that ends while idle stops the pool: the rest end, none is started again', () => {
    const { p, made } = pool();
    p.setTarget(2);
    p.ended(made[0]!);
    expect(p.usable).toBe(false);
    expect(made[1]!.ended).toBe(true);
    p.setTarget(4);
    expect(p.take()).toBeNull();
    expect(made).toHaveLength(2);
  });

  it('the end of a standby already taken changes nothing', () => {
    const { p, made } = pool();
    p.setTarget(1);
    const a = p.take()!;
    p.ended(a);
    expect(p.usable).toBe(true);
    expect(p.idle).toBe(1);
    expect(made).toHaveLength(2);
  });

  it('close ends every idle standby and starts no more', () => {
    const { p, made } = pool();
    p.setTarget(2);
    p.close();
    expect(made.every((f) => f.ended)).toBe(true);
    expect(p.idle).toBe(0);
    p.setTarget(2);
    expect(p.take()).toBeNull();
    expect(made).toHaveLength(2);
  });
});
