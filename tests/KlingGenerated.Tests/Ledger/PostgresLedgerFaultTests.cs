using Newtonsoft.Json.Linq;
using KlingGenerated.Redis.ScaleOut;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Ledger;

/// <summary>
/// A PostgreSQL ledger that cannot be used (down, a newer schema, a user without rights, a wrong password) stops the
/// command before anything is sent, with exit 3 and a message that says what to do, never with the password.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerFaultTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_ledger_server_that_is_down_fails_generate_and_batch_with_exit_3_and_sends_nothing()
    {
        await using var simulator = await LedgerSuite.StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there
        var ledger = $"postgresql://kling:s3cret-pw@127.0.0.1:{port}/kling";
        await File.WriteAllLinesAsync(Path.Combine(dir, "b.jsonl"), ["{\"prompt\":\"never sent\"}"]);

        var generate = await KlingInProcess.RunAsync(dir, "generate", "never sent", "--ledger", ledger, "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString());
        var batch = await KlingInProcess.RunAsync(dir, "batch", "b.jsonl", "--verbose", "--ledger", ledger, "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString());

        foreach (var run in new[] { generate, batch })
        {
            run.ExitCode.Should().Be(3, run.Stderr);
            run.Stderr.Should().Contain("cannot reach the PostgreSQL task ledger").And.Contain($"127.0.0.1:{port}").And.Contain("Nothing was sent");
            (run.Stdout + run.Stderr).Should().NotContain("s3cret-pw");
        }

        simulator.RequestCount.Should().Be(0, "nothing reaches the service when the ledger cannot record it");
    }

    [Fact]
    public async Task A_ledger_written_by_a_newer_kling_is_refused_with_exit_3_and_nothing_sent()
    {
        await using var simulator = await LedgerSuite.StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await postgres.NewLedgerAsync();
        var first = await KlingInProcess.RunAsync(dir, "tasks", "--ledger", ledger);
        first.ExitCode.Should().Be(0, first.Stderr);
        await postgres.Server.ExecuteAsync("UPDATE kling.schema_version SET version = 99;", new Uri(ledger).AbsolutePath.Trim('/'));

        var result = await KlingInProcess.RunAsync(dir, "generate", "from the future", "--ledger", ledger, "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString());

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("newer kling (schema 99").And.Contain("update kling").And.Contain("Nothing was sent");
        result.Stderr.Should().NotContain(postgres.Server.Password);
        simulator.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task A_user_without_rights_is_told_what_to_grant_and_nothing_is_sent()
    {
        await using var simulator = await LedgerSuite.StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var database = await postgres.Server.CreateDatabaseAsync();
        var user = "reader_" + Guid.NewGuid().ToString("N")[..8];
        await postgres.Server.ExecuteAsync($"CREATE ROLE {user} LOGIN PASSWORD 'pw-of-{user}';");
        var ledger = postgres.Server.Uri(database, user, $"pw-of-{user}");

        var result = await KlingInProcess.RunAsync(dir, "generate", "no rights", "--ledger", ledger, "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString());

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain($"the user {user} lacks the rights").And.Contain("CREATE SCHEMA kling AUTHORIZATION").And.Contain("Nothing was sent");
        result.Stderr.Should().NotContain($"pw-of-{user}");
        simulator.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_without_printing_it()
    {
        var dir = KlingProcess.NewDirectory();
        var ledger = postgres.Server.Uri("postgres", password: "wrong-pw-123");

        var result = await KlingInProcess.RunAsync(dir, "tasks", "--verbose", "--ledger", ledger);

        result.ExitCode.Should().Be(3, result.Stderr);
        result.Stderr.Should().Contain("PostgreSQL refused the user postgres").And.Contain("PGPASSWORD");
        (result.Stdout + result.Stderr).Should().NotContain("wrong-pw-123");
    }

    [Fact]
    public async Task The_schema_is_created_once_when_many_processes_open_a_new_database_at_the_same_moment()
    {
        var dir = KlingProcess.NewDirectory();
        var ledger = await postgres.NewLedgerAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => KlingInProcess.RunAsync(dir, "tasks", "--ledger", ledger)));

        runs.Should().OnlyContain(r => r.ExitCode == 0);
        postgres.Rows(ledger, "SELECT version FROM schema_version").Should().ContainSingle().Which["version"].Should().Be(KlingGenerated.Cli.Ledger.PostgresLedger.SchemaVersion);
    }

    [Fact]
    public async Task A_ledger_of_an_older_schema_is_upgraded_in_place_and_keeps_its_rows()
    {
        await using var simulator = await LedgerSuite.StartSimulatorAsync();
        var dir = KlingProcess.NewDirectory();
        var ledger = await postgres.NewLedgerAsync();
        var created = await KlingInProcess.RunAsync(dir, "generate", "made under schema 1", "--no-wait", "--ledger", ledger, "--api-key", LedgerTests.ApiKey, "--base-url", simulator.BaseUrl.ToString());
        created.ExitCode.Should().Be(0, created.Stderr);
        var database = new Uri(ledger).AbsolutePath.Trim('/');
        await postgres.Server.ExecuteAsync("DROP TABLE kling.workers; UPDATE kling.schema_version SET version = 1;", database); // as schema 1 left it

        var listed = await KlingInProcess.RunAsync(dir, "tasks", "--json", "--ledger", ledger);

        listed.ExitCode.Should().Be(0, listed.Stderr);
        JArray.Parse(listed.Stdout).Should().ContainSingle().Which["taskId"]!.ToString().Should().Be(created.Stdout.Trim());
        postgres.Rows(ledger, "SELECT version FROM schema_version").Single()["version"].Should().Be(KlingGenerated.Cli.Ledger.PostgresLedger.SchemaVersion);
        postgres.Rows(ledger, "SELECT COUNT(*) AS n FROM workers").Single()["n"].Should().Be(0L, "the table schema 2 added exists");
    }

    [Fact]
    public async Task The_tasks_listing_names_the_ledger_without_its_password()
    {
        var dir = KlingProcess.NewDirectory();
        var ledger = await postgres.NewLedgerAsync();

        var result = await KlingInProcess.RunAsync(dir, "tasks", "--ledger", ledger);

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stderr.Should().Contain("postgresql://postgres@127.0.0.1:").And.NotContain(postgres.Server.Password);
    }

    [Fact]
    public async Task A_ledger_change_made_while_the_server_restarts_waits_for_it_and_is_recorded_once()
    {
        await using var own = await PostgresServer.StartAsync(); // stopped and started here: not the shared server
        using var ledger = KlingGenerated.Cli.Ledger.LedgerLocation.OpenSetting(own.Uri());
        var id = ledger.RecordQueued("endpoint-r", "{}");
        own.Stop();

        var sending = Task.Run(() => ledger.MarkSending(id));
        var queued = Task.Run(() => ledger.RecordQueued("endpoint-r", "{\"second\":true}"));
        await own.StartAgainAsync();
        await Task.WhenAll(sending, queued);
        ledger.RecordCreated(id, "task_after_restart");

        ledger.Find("task_after_restart")!.Outcome.Should().Be("created");
        ledger.List(null, null).Should().HaveCount(2, "each change was recorded once, however often it was tried");
    }
}
