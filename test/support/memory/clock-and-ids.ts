/** A clock that moves only when the test says so, and ids that are predictable. */
import type { Clock, Ids } from '../../../shared/usecases/ports';

export class TestClock implements Clock {
  private at: number;

  constructor(start: Date | string = '2026-03-01T10:00:00Z') {
    this.at = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  set(to: Date | string): void {
    this.at = new Date(to).getTime();
  }

  advance(seconds: number): void {
    this.at += seconds * 1000;
  }
}

/** `req-1`, `req-2`, ...: each id the use cases ask for, in order. */
export class SequentialIds implements Ids {
  private n = 0;

  constructor(private readonly prefix = 'req-') {}

  newId(): string {
    this.n += 1;
    return `${this.prefix}${this.n}`;
  }
}
