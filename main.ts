/** Placeholder entry point; replaced below. */
console.log("ai-runner");
