using KlingGenerated.Tests.Infrastructure;
using static KlingGenerated.Tests.Infrastructure.HostileKling;

namespace KlingGenerated.Tests.Cli;

/// <summary>`--timeout` bounds the whole wait of generate and wait, a trickling task query included.</summary>
public sealed class WaitDeadlineCliTests
{
    [Fact]
    public async Task Generate_with_a_timeout_ends_with_exit_5_and_the_resume_command_while_a_task_query_trickles()
    {
        await using var server = Service("task_trickle_cli", record: PollingDeadlineTests.TricklingRecord());
        var dir = KlingProcess.NewDirectory();

        // 0.02 minutes: the wait's deadline (1.2 s), not the query's own timeouts and retries (minutes), ends the command.
        var result = await KlingInProcess.RunAsync(dir, Against(server, "generate", "a boat", "--timeout", "0.02", "--out", Path.Combine(dir, "out")));

        result.ExitCode.Should().Be(5, result.Stderr);
        Creates(server).Should().ContainSingle();
        var error = ErrorLines(result.Stderr).Should().ContainSingle().Subject;
        error.Should().Contain("task task_trickle_cli did not finish within 0.02 minutes")
            .And.Contain("`kling wait task_trickle_cli` resumes waiting")
            .And.Contain("running generate again would pay for a new task");
    }

    [Fact]
    public async Task Wait_with_a_timeout_ends_with_exit_5_while_a_task_query_trickles()
    {
        // The first query (wait's check that the service knows the id) answers; every later one trickles.
        await using var server = Service("task_trickle_wait", record: HostileServer.Sequence(Record("task_trickle_wait", "generating"), PollingDeadlineTests.TricklingRecord()));

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "wait", "task_trickle_wait", "--timeout", "0.02", "--no-download"));

        result.ExitCode.Should().Be(5, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("task_trickle_wait").And.Contain("kling wait task_trickle_wait");
    }

    [Fact]
    public async Task Wait_with_a_timeout_ends_with_exit_5_when_its_check_that_the_service_knows_the_id_trickles()
    {
        // The ledger does not know the id, so wait first asks the service about it: that query trickles from the start.
        await using var server = Service("task_trickle_check", record: PollingDeadlineTests.TricklingRecord());

        var result = await KlingInProcess.RunAsync(KlingProcess.NewDirectory(), Against(server, "wait", "task_trickle_check", "--timeout", "0.02", "--no-download"));

        result.ExitCode.Should().Be(5, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should().Contain("did not finish within 0.02 minutes").And.Contain("kling wait task_trickle_check");
    }
}
