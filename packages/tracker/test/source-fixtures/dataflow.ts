// A dataflow in TypeScript, run by the template-source tests with tsx and compiled by tsc: the
// template must show this text, comments and types included, with its file and line.
export function prompt({ topic }: { topic: string }): string {
  // Ask for a long answer: the comment the template must keep.
  return `Tell me about ${topic} in ${5000} words`;
}

export const length = async ({ prompt }: { prompt: string }): Promise<number> => {
  /* characters, not words */
  return prompt.length;
};

export const methods = {
  shout({ prompt }: { prompt: string }): string {
    return prompt.toUpperCase(); // loud
  },
};

export default function ({ length }: { length: number }): string {
  return `${length} characters`;
}
