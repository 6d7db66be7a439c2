import { explorerMeasurement } from "../lib/explorer";

export default explorerMeasurement("score-deep", "sorted by score, page at row 250,000");
