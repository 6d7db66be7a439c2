// Every kind of background job, imported for its registration (registerJobHandler) so that each app
// instance can run, show and cancel all of them. Add a domain's *.jobs.server.ts here and its kind to
// ./kinds.ts.
import "~/modules/rulesets/rulesets.jobs.server";
import "~/modules/evidence/evidence.jobs.server";

export {};
