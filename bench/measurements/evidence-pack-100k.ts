import { evidencePackMeasurement } from "../lib/evidence-pack";

export default evidencePackMeasurement({ name: "evidence-pack.100k", target: 100_000, runs: 3 });
