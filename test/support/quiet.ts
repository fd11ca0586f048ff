/** Log lines off while `run` runs thousands of handler calls in process (each logs a line): fuzzing, model histories. */
export function quietly<T>(run: () => Promise<T>): Promise<T> {
  const spies = [jest.spyOn(process.stdout, 'write').mockImplementation(() => true), jest.spyOn(console, 'log').mockImplementation()];
  return run().finally(() => {
    for (const s of spies) s.mockRestore();
  });
}
