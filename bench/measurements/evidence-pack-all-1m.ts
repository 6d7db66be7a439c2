import { evidencePackMeasurement } from "../lib/evidence-pack";

export default evidencePackMeasurement({ name: "evidence-pack.all-1m", target: 1_000_000, runs: 2 });
