// A dataflow in plain JavaScript, run untransformed by the template-source tests.
export function prompt({ topic }) {
  // Ask for a long answer.
  return `Tell me about ${topic}`;
}

export const length = async ({ prompt }) => prompt.length;
