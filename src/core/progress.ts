/** Step progress reporting, implemented by each CLI (zwh: listr2/plain lines; Zowe: its progress API). */

export interface StepHandle {
  /** Replace the step's status line, e.g. "12/40 wheels, 81 MB". */
  update(message: string): void;
}

export interface Progress {
  /** Run one titled step, reporting start, end and duration. */
  step<T>(title: string, fn: (s: StepHandle) => Promise<T>): Promise<T>;
}

/** A Progress that only runs the steps (SDK callers that want no output). */
export const silentProgress: Progress = { step: (_title, fn) => fn({ update: () => undefined }) };
