import { describe, expect, it } from "vitest";
import { acceptedLanguages, pickLanguage } from "./language.js";

const texts = { en: "English", fr: "Français", "pt-BR": "Português", de_AT: "Österreichisch" };

describe("Accept-Language", () => {
  it("orders ranges by quality, keeping the header's order for ties, and drops q=0", () => {
    expect(acceptedLanguages("de;q=0.5, fr-CA, en;q=0.8, it;q=0, es")).toEqual([
      "fr-ca",
      "es",
      "en",
      "de",
    ]);
    expect(acceptedLanguages(undefined)).toEqual([]);
    expect(acceptedLanguages("<script>, ;;;, en")).toEqual(["en"]);
  });

  it("picks an exact tag, then a shorter one, then the same primary language", () => {
    expect(pickLanguage(texts, "fr", "en")).toBe("fr");
    expect(pickLanguage(texts, "fr-CA,en;q=0.5", "en")).toBe("fr");
    expect(pickLanguage(texts, "pt", "en")).toBe("pt-BR");
    expect(pickLanguage(texts, "PT-br", "en")).toBe("pt-BR");
    expect(pickLanguage(texts, "de-AT", "en")).toBe("de_AT"); // MSC4176 allows `_`
  });

  it("falls back to the default language, then to any text", () => {
    expect(pickLanguage(texts, "ja, ko;q=0.9", "en")).toBe("en");
    expect(pickLanguage(texts, "*", "fr")).toBe("fr");
    expect(pickLanguage(texts, undefined, "en")).toBe("en");
    expect(pickLanguage({ fr: "x" }, "ja", "en")).toBe("fr");
    expect(pickLanguage(texts, "x".repeat(2000), "en")).toBe("en");
  });
});
