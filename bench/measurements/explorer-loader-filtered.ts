import { explorerMeasurement } from "../lib/explorer";

export default explorerMeasurement("filtered", "SE declined credit with reason CH01 and score 0.2–0.6");
