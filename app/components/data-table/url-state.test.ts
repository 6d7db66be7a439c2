import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeCursor, encodeCursor, hrefWith, pagingParams, parseListQuery, searchParamsToObject } from "./url-state";

describe("list URL state", () => {
  it("round-trips a keyset cursor through URL-safe text", () => {
    const cursor = encodeCursor(["2026-11-27T21:00:00.000Z", "45c75274-3624-4a3d-a73a-f96d588ce07a"]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(["2026-11-27T21:00:00.000Z", "45c75274-3624-4a3d-a73a-f96d588ce07a"]);
    expect(decodeCursor("not json at all")).toBeUndefined();
  });

  it("changes one filter, drops the page position and keeps the rest", () => {
    const href = hrefWith("outcome=declined&after=abc&sort=decidedAt", { ...pagingParams, region: "SE" });
    expect(new URLSearchParams(href.slice(1))).toEqual(new URLSearchParams("outcome=declined&sort=decidedAt&region=SE"));
  });

  it("treats an empty filter as no filter", () => {
    expect(searchParamsToObject(new URLSearchParams("region=&outcome=declined"))).toEqual({ outcome: "declined" });
  });

  it("refuses an invalid value with a 400 that names the field", async () => {
    const schema = z.object({ outcome: z.enum(["approved", "declined"]).optional() });
    let thrown: unknown;
    try {
      parseListQuery(schema, new Request("http://localhost/decisions?outcome=maybe"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Response);
    const response = thrown as Response;
    expect(response.status).toBe(400);
    const body = (await response.json()) as { fields: { field: string }[]; message: string };
    expect(body.fields.map((issue) => issue.field)).toEqual(["outcome"]);
    expect(body.message).toContain("outcome");
  });
});
