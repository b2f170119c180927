// Package results owns ipcbench's results format: Go benchmark format
// (golang.org/x/perf/benchfmt) as go test -bench and ipcbench run write it,
// read by benchstat, the reports and the regression gate. It is a leaf: it
// imports no other ipcbench package, so that what measures (harness,
// bench) and what reads (reports, regress) meet here and nowhere else.
//
// It defines, each in one place:
//
//   - the names: the benchmark functions (BenchPingPong, …) and the keys of
//     a benchmark name (Key: bench, transport, api, path, pin, op, kind,
//     size; path only on the socket transports off loopback: veth, netem,
//     remote, so that a name without it is loopback in one namespace, as
//     every name was before the key existed),
//     written in the suite's order (Key.String, Key.SubName) and read back
//     (ParseKey, strictly; Read, leniently, as benchstat reads names);
//   - the units (UnitNsOp, UnitMBs, UnitP50 … UnitRefused) and their
//     better direction, written as "Unit <unit> better=lower|higher" lines
//     (WriteUnits);
//   - the config lines ("key: value", WriteConfig), among them one line per
//     registered transport that describes what a report needs of it
//     (Transport, WriteCatalogue);
//   - the reader (Read, ReadBy): config lines, the catalogue and
//     the samples of each benchmark name and unit, in file order.
//
// A results file from a version that wrote no catalogue lines still reads:
// its File.Catalogue is the catalogue as it was then (Legacy).
package results
