/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The window's frontend lives in ui/ and is built into dist/, which
// src-tauri/tauri.conf.json embeds (frontendDist). `npm run tauri dev`
// serves it on port 1420 (devUrl).
export default defineConfig({
  root: "ui",
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "es2022",
  },
  test: {
    root: ".",
    include: ["ui/src/**/*.test.ts"],
    environment: "happy-dom",
  },
});
