Console.Error.WriteLine("usage: see docs/benchmarks.md (benchmarks are being added).");
return 2;
