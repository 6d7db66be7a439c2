import { register } from "node:module";

register("./without-subject-keys.mjs", import.meta.url);
