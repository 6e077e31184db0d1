import { describe, expect, it } from "vitest";
import { validateChatRequest } from "./validate.js";

function messageOf(body: unknown): string {
  const result = validateChatRequest(body);
  if (result.ok) throw new Error("expected the request to be invalid");
  return result.failure.message;
}

describe("validateChatRequest type errors", () => {
  it("words the JSON type of a wrong value as OpenAI does", () => {
    expect(messageOf({ model: "m", messages: { role: "user" } })).toBe(
      "Invalid type for 'messages': expected an array of objects, but got an object instead.",
    );
    expect(messageOf({ model: "m", messages: "hi" })).toBe(
      "Invalid type for 'messages': expected an array of objects, but got a string instead.",
    );
    expect(messageOf({ model: "m", messages: [["user"]] })).toBe(
      "Invalid type for 'messages[0]': expected an object, but got an array instead.",
    );
    expect(messageOf({ model: "m", messages: [null] })).toBe(
      "Invalid type for 'messages[0]': expected an object, but got null instead.",
    );
    expect(messageOf(42)).toBe("The request body must be a JSON object, but got a number.");
  });
});
