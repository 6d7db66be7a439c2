import { dashboardMeasurement } from "../lib/dashboards";

export default dashboardMeasurement("fairness", "Fairness");
