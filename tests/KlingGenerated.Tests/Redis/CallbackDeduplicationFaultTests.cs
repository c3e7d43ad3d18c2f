using System.Diagnostics;
using System.Runtime.InteropServices;
using KlingGenerated.Redis;
using KlingGenerated.Redis.ScaleOut;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace KlingGenerated.Tests.Redis;

/// <summary>
/// The faults that used to lose a callback for 24 h, against a real redis-server: Redis stalling (SIGSTOP) while the
/// first delivery begins, and a receiver process killed between TryBegin and Confirm. Each delivery is "answered" as a
/// receiver would (an error asks the service to deliver again); what each one saw is written to the test output.
/// </summary>
[Trait("Category", "Slow")] // SIGSTOPs its own redis-server and kills a receiver process
[Collection("Redis")]
public sealed class CallbackDeduplicationFaultTests(RedisFixture redis, ITestOutputHelper output)
{
    private const int SigCont = 18;
    private const int SigStop = 19;

    [Fact]
    public async Task A_delivery_that_timed_out_on_a_stalled_Redis_does_not_turn_away_its_redelivery_which_is_handled_exactly_once()
    {
        // Its own redis-server: a stopped one would freeze the tests sharing the fixture's.
        await using var server = await RedisServer.StartAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var dedup = new KlingRedisCallbackDeduplicator(connection, keyPrefix: "stall:", inProgressTimeout: TimeSpan.FromMinutes(5));
        var handled = 0;
        var seen = new List<string>();

        async Task<int> DeliverAsync(TimeSpan deadline)
        {
            using var answerBy = new CancellationTokenSource(deadline);
            try
            {
                if (!await dedup.TryBeginAsync("task_stalled", answerBy.Token))
                {
                    seen.Add("repeat: answered 200 without handling");
                    return 200;
                }
            }
            catch (OperationCanceledException)
            {
                seen.Add("TryBegin timed out (Redis stalled): answered 500");
                return 500;
            }

            handled++;
            await dedup.ConfirmAsync("task_stalled");
            seen.Add("handled and confirmed: answered 200");
            return 200;
        }

        var pid = server.ProcessId ?? throw new InvalidOperationException("redis-server is not running");
        Signal(pid, SigStop);
        int first;
        try
        {
            first = await DeliverAsync(TimeSpan.FromMilliseconds(500));
        }
        finally
        {
            Signal(pid, SigCont); // the queued mark now lands, after the receiver gave up on it
        }

        var second = await DeliverAsync(TimeSpan.FromSeconds(30));
        var third = await DeliverAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < seen.Count; i++)
        {
            output.WriteLine($"delivery {i + 1}: {seen[i]}");
        }

        first.Should().Be(500, "the first delivery could not be marked, so the service is asked to deliver again");
        second.Should().Be(200);
        seen[1].Should().StartWith("handled", "the mark that landed late did not turn the redelivery away");
        third.Should().Be(200);
        seen[2].Should().StartWith("repeat");
        handled.Should().Be(1, "processed exactly once");
    }

    [Fact]
    public async Task A_receiver_process_killed_after_TryBegin_and_before_Confirm_does_not_lose_the_callback()
    {
        var prefix = $"crash{Guid.NewGuid():N}:";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "KlingGenerated.Redis.ScaleOut.dll"));
        foreach (var argument in new[] { "callback-receiver", redis.Server.Configuration, prefix, "1000" })
        {
            start.ArgumentList.Add(argument);
        }

        var seen = new List<string>();
        using (var receiver = Process.Start(start)!)
        {
            try
            {
                (await ReadLineAsync(receiver)).Should().Be("ready");
                await receiver.StandardInput.WriteLineAsync("task_crash");
                await receiver.StandardInput.FlushAsync();
                (await ReadLineAsync(receiver)).Should().Be("handle task_crash", "the first delivery reached the receiver, which began handling it");
                seen.Add("receiver process: TryBegin true, then killed (SIGKILL) before Confirm; the service saw no answer");
            }
            finally
            {
                receiver.Kill(entireProcessTree: true);
                await receiver.WaitForExitAsync();
            }
        }

        // The redeliveries reach another instance of the receiver.
        using var connection = await redis.ConnectAsync();
        var other = new KlingRedisCallbackDeduplicator(connection, keyPrefix: prefix, inProgressTimeout: TimeSpan.FromSeconds(1));
        var handled = 0;
        for (var delivery = 2; delivery <= 3; delivery++)
        {
            if (await other.TryBeginAsync("task_crash"))
            {
                handled++;
                await other.ConfirmAsync("task_crash");
                seen.Add("another instance: TryBegin true (the dead receiver's mark was never confirmed): handled, confirmed, answered 200");
            }
            else
            {
                seen.Add("another instance: TryBegin false: a repeat, answered 200");
            }
        }

        for (var i = 0; i < seen.Count; i++)
        {
            output.WriteLine($"delivery {i + 1}: {seen[i]}");
        }

        handled.Should().Be(1, "the redelivery after the crash went through, and only it");
        seen[1].Should().Contain("handled");
        seen[2].Should().Contain("repeat");
    }

    private static async Task<string?> ReadLineAsync(Process process) =>
        await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));

    private static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, CA5392 // the libc name; libc is a system library
    private static extern int kill(int pid, int sig);
#pragma warning restore SA1300, CA5392
}
