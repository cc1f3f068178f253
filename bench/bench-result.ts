/** One printed benchmark figure. `target` and `baseline` are printed beside `value` with their ratio. */
export interface BenchResult {
  group: string;
  name: string;
  value: number;
  unit: string;
  /** Higher is better unless set to 'lower'. */
  better?: 'higher' | 'lower';
  target?: number;
  baseline?: { name: string; value: number };
  note?: string;
}

export interface BenchModule {
  run(): Promise<BenchResult[]>;
}
