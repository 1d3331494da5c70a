// Preloaded into a node server a test process starts (NODE_OPTIONS=--require …, S3rverProcess): the server exits once
// that test process is gone, so a test host killed before its cleanup ran (ProcessExit never fires on SIGKILL or a
// crash) leaves no server behind.
'use strict';
const parent = process.ppid;
const watch = setInterval(() => {
  let alive = process.ppid === parent; // re-parented (to init or a subreaper) once the parent exited
  try {
    process.kill(parent, 0);
  } catch {
    alive = false;
  }
  if (!alive) {
    process.exit(0);
  }
}, 250);
watch.unref(); // the watch alone never keeps the server running
