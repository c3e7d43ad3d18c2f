namespace KlingGenerated.Tests.Infrastructure;

/// <summary>
/// Tests whose assertions depend on arrival times under a rate limit (client-side pacing against the simulator's limit):
/// xunit runs this collection alone, after the parallel ones, so a busy machine cannot skew them.
/// Put nothing else here: every test in it adds its whole duration to the suite's wall time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
