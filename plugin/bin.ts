#!/usr/bin/env node
import { runNodeJs } from "./protoplugin.js";
import { plugin } from "./plugin.js";

runNodeJs(plugin);
