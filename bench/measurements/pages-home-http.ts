import { pageMeasurement } from "../lib/pages-http";

export default pageMeasurement("home");
