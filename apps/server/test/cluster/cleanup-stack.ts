/** Runs cleanups in reverse order; each one's failure is kept and the rest still run. */
export function cleanupStack() {
  const steps: (() => Promise<unknown>)[] = [];
  return {
    push(step: () => Promise<unknown>) {
      steps.push(step);
    },
    async run() {
      const errors: unknown[] = [];
      for (const step of steps.splice(0).reverse()) await step().catch((err: unknown) => errors.push(err));
      if (errors.length > 0) throw new AggregateError(errors, 'cluster teardown failed');
    },
  };
}
