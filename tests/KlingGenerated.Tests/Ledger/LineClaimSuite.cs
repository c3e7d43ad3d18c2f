using KlingGenerated.Cli.Ledger;

namespace KlingGenerated.Tests.Ledger;

/// <summary>
/// One claim per request identity, on every kind of ledger (a SQLite file, a PostgreSQL database): a batch line is
/// claimed in the ledger's transaction, so files, processes, runs and machines that share it pay once.
/// </summary>
public abstract class LineClaimSuite
{
    private const string Endpoint = "http://127.0.0.1:1/";

    /// <summary>A new empty ledger for one test, as --ledger takes it.</summary>
    protected abstract Task<string> NewLedgerAsync();

    /// <summary>The ledger as one run (one process, one worker) opens it.</summary>
    private protected abstract ITaskLedger Open(string ledger);

    /// <summary>Ends a run without a word to the ledger about its lines (its claims lose their hold, as when it is killed).</summary>
    private protected abstract void Stop(ITaskLedger run);

    private protected static LedgerClaim Claim(ITaskLedger ledger, string key = "k1", bool resubmit = false) =>
        ledger.Claim(Endpoint, """{"input":{"prompt":"p"}}""", "a.jsonl", key, 1, resubmit);

    [Fact]
    public async Task A_line_queued_by_a_live_run_is_held_and_the_other_run_waits_for_it()
    {
        var ledger = await NewLedgerAsync();
        using var first = Open(ledger);
        using var second = Open(ledger);

        var mine = Claim(first);
        var theirs = Claim(second);

        mine.Id.Should().NotBeNull();
        theirs.Id.Should().BeNull("the line is claimed by the first run");
        theirs.HeldBy!.Id.Should().Be(mine.Id!.Value);
        theirs.HolderActive.Should().BeTrue();
        Claim(second, key: "k2").Id.Should().NotBeNull("another line is free");
    }

    [Fact]
    public async Task A_created_line_is_held_for_good_and_names_its_task()
    {
        var ledger = await NewLedgerAsync();
        using var first = Open(ledger);
        using var second = Open(ledger);
        var mine = Claim(first).Id!.Value;
        first.MarkSending(mine);
        first.RecordCreated(mine, "task_1");

        var theirs = Claim(second);

        theirs.Id.Should().BeNull();
        theirs.HolderActive.Should().BeFalse();
        theirs.TakenFrom.Should().BeNull("its run is alive and follows the task itself");
        theirs.HeldBy!.TaskId.Should().Be("task_1");
        Claim(second, resubmit: true).Id.Should().BeNull("--resubmit-uncertain never sends a created line again");
    }

    [Fact]
    public async Task A_line_queued_by_a_run_that_ended_before_sending_is_free_again()
    {
        var ledger = await NewLedgerAsync();
        var dead = Open(ledger);
        var abandoned = Claim(dead).Id!.Value;
        Stop(dead);

        using var next = Open(ledger);
        var claim = Claim(next);

        claim.Id.Should().NotBeNull().And.NotBe(abandoned);
        claim.TakenFrom.Should().NotBeNull("the run that queued it is named");
        next.List(null, null).Single(e => e.Id == abandoned).Outcome.Should().Be("not-sent");
    }

    [Fact]
    public async Task A_line_sent_by_a_run_that_ended_becomes_uncertain_and_is_sent_again_only_with_resubmit_uncertain()
    {
        var ledger = await NewLedgerAsync();
        var dead = Open(ledger);
        var sent = Claim(dead).Id!.Value;
        dead.MarkSending(sent);
        Stop(dead);

        using var next = Open(ledger);
        var held = Claim(next);

        held.Id.Should().BeNull("a task may exist: nothing sends it again by itself");
        held.HolderActive.Should().BeFalse("its run is gone: the task may exist, and only the user decides");
        held.HeldBy!.Outcome.Should().Be("uncertain");
        held.HeldBy.Message.Should().Contain("on the wire");
        Claim(next).Id.Should().BeNull("still uncertain at the next look");
        Claim(next, resubmit: true).Id.Should().NotBeNull();
        next.List(null, null).Single(e => e.Id == sent).Outcome.Should().Be("uncertain-resubmitted");
    }

    [Fact]
    public async Task A_created_task_whose_run_ended_before_it_finished_is_followed_by_the_run_that_claims_it_next()
    {
        var ledger = await NewLedgerAsync();
        var dead = Open(ledger);
        var mine = Claim(dead).Id!.Value;
        dead.MarkSending(mine);
        dead.RecordCreated(mine, "task_2");
        Stop(dead);

        using var next = Open(ledger);
        var claim = Claim(next);

        claim.Id.Should().BeNull("the task exists: it is followed, never paid again");
        claim.HeldBy!.TaskId.Should().Be("task_2");
        claim.TakenFrom.Should().NotBeNull("the next run takes the task over to follow and download it");
        using var third = Open(ledger);
        Claim(third).TakenFrom.Should().BeNull("the next run follows it now");
    }

    [Fact]
    public async Task Many_runs_claiming_one_line_at_the_same_moment_claim_it_once()
    {
        var ledger = await NewLedgerAsync();
        var runs = Enumerable.Range(0, 6).Select(_ => Open(ledger)).ToList();
        try
        {
            var claims = await Task.WhenAll(runs.Select(run => Task.Run(() => Claim(run))));

            claims.Count(c => c.Id is not null).Should().Be(1);
            claims.Where(c => c.Id is null).Should().OnlyContain(c => c.HolderActive);
        }
        finally
        {
            runs.ForEach(r => r.Dispose());
        }
    }
}

/// <summary>The claims on a SQLite file: a run's hold is its lock file, released when its process ends.</summary>
public sealed class SqliteLineClaimSuite : LineClaimSuite
{
    protected override Task<string> NewLedgerAsync() => Task.FromResult(Path.Combine(KlingGenerated.Tests.Infrastructure.KlingProcess.NewDirectory(), "ledger", "tasks.db"));

    private protected override ITaskLedger Open(string ledger) => TaskLedger.Open(ledger);

    private protected override void Stop(ITaskLedger run) => run.Dispose();
}

/// <summary>The claims on PostgreSQL: a worker's hold is a lease; a stopped worker's lease has run out.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLineClaimSuite(PostgresFixture postgres) : LineClaimSuite
{
    protected override Task<string> NewLedgerAsync() => postgres.NewLedgerAsync();

    private protected override ITaskLedger Open(string ledger) => PostgresLedger.Open(ledger);

    private protected override void Stop(ITaskLedger run)
    {
        ((PostgresLedger)run).Lease = TimeSpan.Zero;
        ((PostgresLedger)run).Renew(); // its leases run out now, as a killed worker's do after --lease
        run.Dispose();
    }

    [Fact]
    public async Task A_worker_whose_line_was_taken_over_is_refused_sending_it()
    {
        var ledger = await NewLedgerAsync();
        using var slow = PostgresLedger.Open(ledger);
        var id = Claim(slow).Id!.Value;
        slow.Lease = TimeSpan.Zero;
        slow.Renew();
        using var other = PostgresLedger.Open(ledger);
        Claim(other).Id.Should().NotBeNull("the slow worker's lease ran out");

        var sending = () => slow.MarkSending(id);

        sending.Should().Throw<LedgerLineTakenException>();
        slow.List(null, null).Single(e => e.Id == id).Outcome.Should().Be("not-sent");
    }
}
