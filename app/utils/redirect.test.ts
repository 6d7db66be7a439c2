import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeRedirectPath } from "./redirect";

// After sign-in or a region switch the user is sent to ?redirectTo=. A crafted link must never send a
// freshly signed-in compliance officer to a look-alike site (open redirect, OWASP ASVS 5.1.5).

const APP = "https://attest.example";

/** Where a browser actually goes for a Location header with this value. */
function resolvedOrigin(location: string) {
  return new URL(location, `${APP}/login`).origin;
}

describe("safeRedirectPath", () => {
  it("keeps an ordinary in-app path with its query", () => {
    expect(safeRedirectPath("/decisions?region=SE&outcome=declined")).toBe("/decisions?region=SE&outcome=declined");
    expect(safeRedirectPath("/admin/staff/5e1f0000-0000-4000-8000-000000000001")).toBe("/admin/staff/5e1f0000-0000-4000-8000-000000000001");
  });

  it.each([
    ["absolute URL", "https://evil.example/login"],
    ["protocol-relative URL", "//evil.example"],
    ["backslash trick", "/\\evil.example"],
    ["javascript: URL", "javascript:alert(document.cookie)"],
    ["relative path", "decisions"],
    ["empty string", ""],
  ])("falls back to home for a %s", (_label, input) => {
    expect(safeRedirectPath(input)).toBe("/");
  });

  it("falls back for values that are not strings (a repeated or missing form field)", () => {
    expect(safeRedirectPath(null)).toBe("/");
    expect(safeRedirectPath(undefined, "/account")).toBe("/account");
    expect(safeRedirectPath(["/a", "/b"])).toBe("/");
  });

  it("refuses a tab or newline that a browser strips to make //evil.example", () => {
    // WHATWG URL parsing removes ASCII tab and newline anywhere, so "/\t/evil" is "//evil" to a browser.
    for (const input of ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\t\\evil.example"]) {
      expect(resolvedOrigin(safeRedirectPath(input)), JSON.stringify(input)).toBe(APP);
    }
  });

  it("never yields a target on another origin, whatever the input (property)", () => {
    const pathish = fc.stringMatching(/^[/\\\t\n\r :a-z.@%?#]{0,12}$/);
    const anything = fc.oneof(pathish, fc.string(), fc.webUrl(), fc.constantFrom("//", "/\\", "/\t/", "javascript:"));
    fc.assert(
      fc.property(anything, (input) => {
        const target = safeRedirectPath(input);
        expect(target.startsWith("/")).toBe(true);
        expect(target.startsWith("//")).toBe(false);
        expect(target).not.toMatch(/^[a-z][a-z0-9+.-]*:/i);
        expect(target === input || target === "/").toBe(true);
        expect(resolvedOrigin(target)).toBe(APP);
      }),
      { numRuns: 2000 },
    );
  });
});
