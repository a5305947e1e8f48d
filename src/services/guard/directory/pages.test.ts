import { describe, expect, it } from "vitest";
import { MSC4176_MESSAGES } from "../gates/messages.js";
import { followingPage, jsonObject, replacedRemoteError, requestedLimit } from "./pages.js";

describe("directory pages", () => {
  it("reads the requested limit as Synapse does (absent or 0: 100; capped at 100)", () => {
    expect(requestedLimit("GET", "/p?limit=10", undefined)).toBe(10);
    expect(requestedLimit("GET", "/p", undefined)).toBe(100);
    expect(requestedLimit("GET", "/p?limit=0", undefined)).toBe(100);
    expect(requestedLimit("GET", "/p?limit=500", undefined)).toBe(100);
    expect(requestedLimit("GET", "/p?limit=abc", undefined)).toBe(100);
    expect(requestedLimit("POST", "/p?limit=3", { limit: 7 })).toBe(7);
    expect(requestedLimit("POST", "/p", {})).toBe(100);
    // Found by the fuzzer: Number() of such an object throws (a 500 before).
    expect(requestedLimit("POST", "/p", { limit: { toString: 0 } })).toBe(100);
    expect(requestedLimit("POST", "/p", { limit: [5] })).toBe(100);
  });

  it("asks for the following page keeping every other parameter", () => {
    expect(followingPage("GET", "/p?server=a.example&limit=10", undefined, "tok", 4)).toEqual({
      rawUrl: "/p?server=a.example&limit=4&since=tok",
    });
    expect(followingPage("GET", "/p", undefined, "t+/", 2).rawUrl).toBe("/p?since=t%2B%2F&limit=2");
    const post = followingPage(
      "POST",
      "/p?server=b",
      { filter: { room_types: [null] }, limit: 10 },
      "tok",
      3,
    );
    expect(post.rawUrl).toBe("/p?server=b");
    expect(jsonObject(post.body)).toEqual({
      filter: { room_types: [null] },
      limit: 3,
      since: "tok",
    });
  });

  it("replaces a remote error's text and keeps only well-formed fields", () => {
    const texts = { en: "Ours.", de: "Unsere." };
    const remote = {
      errcode: "M_FORBIDDEN",
      error: "<img src=x onerror=alert(1)>",
      messages: { en: "<script>" },
      harms: ["m.spam", "<b>"],
      "org.matrix.msc4387.harms": ["m.spam"],
      expiry: null,
      retry_after_ms: 5,
      href: "https://evil.example",
    };
    expect(replacedRemoteError(remote, "Ours.", texts)).toEqual({
      errcode: "M_FORBIDDEN",
      error: "Ours.",
      messages: texts,
      [MSC4176_MESSAGES]: texts,
      harms: ["m.spam"],
      "org.matrix.msc4387.harms": ["m.spam"],
      expiry: null,
      retry_after_ms: 5,
    });
    expect(replacedRemoteError({ errcode: "<x>" }, "Ours.", texts)["errcode"]).toBe("M_UNKNOWN");
    expect(replacedRemoteError(undefined, "Ours.", texts)["errcode"]).toBe("M_UNKNOWN");
  });

  it("parses only JSON objects", () => {
    expect(jsonObject(Buffer.from("[1]"))).toBeUndefined();
    expect(jsonObject(Buffer.from("{"))).toBeUndefined();
    expect(jsonObject(Buffer.alloc(0))).toBeUndefined();
    expect(jsonObject(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
  });
});
