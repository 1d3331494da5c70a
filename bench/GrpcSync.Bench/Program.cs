// GrpcSync.Bench: the orchestrator behind bench/run.sh. See bench/README.md.
using System.Runtime.InteropServices;
using GrpcSync.Bench;
using GrpcSync.Testing.Processes;

Plan plan;
try
{
    plan = Plan.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}

var bench = new BenchRun(plan);
var interrupted = false;
// Whatever ends the run (Ctrl+C, SIGTERM from run.sh's trap, an exception), stop what it started.
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => { interrupted = true; bench.Abort(); });
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => { interrupted = true; bench.Abort(); });
AppDomain.CurrentDomain.ProcessExit += (_, _) => bench.Abort();
try
{
    var status = await bench.RunAsync();
    return interrupted && !plan.Serve ? 130 : status;
}
catch (Exception) when (interrupted)
{
    Console.Error.WriteLine("\nbench interrupted: stopped the servers, load tools and PostgreSQL it had started.");
    return 130;
}
catch (Exception error) when (error is BenchException or LaunchException)
{
    Console.Error.WriteLine($"\nbench FAILED: {error.Message}");
    return 1;
}
catch (Exception error)
{
    Console.Error.WriteLine($"\nbench FAILED with an unexpected error: {error}");
    return 1;
}
finally
{
    bench.Abort();
}
