using GrpcSync.SchedulerBench;

// Two roles in one program: the orchestrator (default) seeds the databases, plans each phase's schedule,
// starts "the server" (this program with `server` as first argument) once per phase in its own process
// and prints the table; the server hosts the real engine and measures itself.
try
{
    return args.Length > 0 && args[0] == "server"
        ? await ServerMode.RunAsync(args[1..])
        : await Orchestrator.RunAsync(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"scheduler-bench: {e.Message}");
    Console.Error.WriteLine(Orchestrator.Usage);
    return 2;
}
