using KlingGenerated.Cli.Ledger;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Cli;

/// <summary>One claim per request identity: a batch line is claimed in the ledger's transaction, so files, processes and runs that share it pay once.</summary>
public sealed class LineClaimTests
{
    private const string Endpoint = "http://127.0.0.1:1/";

    private static string NewLedgerPath() => Path.Combine(KlingProcess.NewDirectory(), "ledger", "tasks.db");

    private static LedgerClaim Claim(TaskLedger ledger, string key = "k1", bool resubmit = false) =>
        ledger.Claim(Endpoint, """{"input":{"prompt":"p"}}""", "a.jsonl", key, 1, resubmit);

    [Fact]
    public void A_line_queued_by_a_live_run_is_held_and_the_other_run_waits_for_it()
    {
        var path = NewLedgerPath();
        using var first = TaskLedger.Open(path);
        using var second = TaskLedger.Open(path);

        var mine = Claim(first);
        var theirs = Claim(second);

        mine.Id.Should().NotBeNull();
        theirs.Id.Should().BeNull("the line is claimed by the first run");
        theirs.HeldBy!.Id.Should().Be(mine.Id!.Value);
        theirs.HolderActive.Should().BeTrue();
        Claim(second, key: "k2").Id.Should().NotBeNull("another line is free");
    }

    [Fact]
    public void A_created_line_is_held_for_good_and_names_its_task()
    {
        var path = NewLedgerPath();
        using var first = TaskLedger.Open(path);
        using var second = TaskLedger.Open(path);
        var mine = Claim(first).Id!.Value;
        first.MarkSending(mine);
        first.RecordCreated(mine, "task_1");

        var theirs = Claim(second);

        theirs.Id.Should().BeNull();
        theirs.HolderActive.Should().BeFalse();
        theirs.HeldBy!.TaskId.Should().Be("task_1");
        Claim(second, resubmit: true).Id.Should().BeNull("--resubmit-uncertain never sends a created line again");
    }

    [Fact]
    public void A_line_queued_by_a_run_that_ended_before_sending_is_free_again()
    {
        var path = NewLedgerPath();
        long abandoned;
        using (var dead = TaskLedger.Open(path))
        {
            abandoned = Claim(dead).Id!.Value;
        }

        using var next = TaskLedger.Open(path);
        var claim = Claim(next);

        claim.Id.Should().NotBeNull();
        next.List(null, null).Single(e => e.Id == abandoned).Outcome.Should().Be("not-sent");
    }

    [Fact]
    public void A_line_sent_by_a_run_that_ended_may_exist_and_is_sent_again_only_with_resubmit_uncertain()
    {
        var path = NewLedgerPath();
        using (var dead = TaskLedger.Open(path))
        {
            dead.MarkSending(Claim(dead).Id!.Value);
        }

        using var next = TaskLedger.Open(path);
        var held = Claim(next);

        held.Id.Should().BeNull();
        held.HolderActive.Should().BeFalse("its run is gone: the task may exist, and only the user decides");
        held.HeldBy!.IsUncertain.Should().BeTrue();
        Claim(next, resubmit: true).Id.Should().NotBeNull();
    }

    [Fact]
    public async Task Two_batch_files_sharing_10_of_12_lines_started_together_create_12_tasks()
    {
        await using var run = await CliRun.StartAsync(o => o.GeneratingFor = TimeSpan.FromMilliseconds(300));
        var shared = string.Concat(Enumerable.Range(1, 10).Select(i => $$"""{"prompt":"Shared {{i}}"}""" + "\n"));
        var a = run.Write("a.jsonl", shared + """{"prompt":"Only in a"}""" + "\n");
        var b = run.Write("b.jsonl", """{"prompt":"Only in b"}""" + "\n" + shared);

        var both = await Task.WhenAll(
            run.RunAsync("batch", a, "--out", Path.Combine(run.Folder, "va")),
            run.RunAsync("batch", b, "--out", Path.Combine(run.Folder, "vb")));

        run.Simulator.CreatedTasks.Should().HaveCount(12, "12 distinct lines are 12 tasks, however the two files overlap");
        both.Should().AllSatisfy(r => r.ExitCode.Should().Be(0, r.Stderr));
        Directory.GetFiles(Path.Combine(run.Folder, "va"), "*.mp4").Should().HaveCount(11);
        Directory.GetFiles(Path.Combine(run.Folder, "vb"), "*.mp4").Should().HaveCount(11);
    }
}
