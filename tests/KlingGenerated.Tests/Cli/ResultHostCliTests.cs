using KlingGenerated.Cli;
using KlingGenerated.Tests.Infrastructure;
using static KlingGenerated.Tests.Infrastructure.HostileKling;

namespace KlingGenerated.Tests.Cli;

/// <summary>
/// Which result URLs kling downloads: a service on a public host may not steer the download into this machine or its
/// network (RefusePrivateHosts); a service on loopback (the simulator) serves its results there; a URL that is not http(s)
/// is refused saying the task is paid for and how to see it. No test sends anything off 127.0.0.1: a public service is
/// played by a loopback server whose host the CLI is told is public (CliEnvironment.IsPrivateHost).
/// </summary>
public sealed class ResultHostCliTests
{
    private static CliEnvironment LooksPublic(CliEnvironment environment) => environment with { IsPrivateHost = static (_, _) => Task.FromResult(false) };

    [Fact]
    public async Task A_service_on_a_public_host_cannot_steer_the_download_to_a_loopback_result_url()
    {
        await using var server = Service("task_ssrf"); // its result URL is on 127.0.0.1
        var dir = KlingProcess.NewDirectory();
        var output = Path.Combine(dir, "out");

        var result = await KlingInProcess.RunWithEnvironmentAsync(dir, LooksPublic, Against(server, "generate", "a boat", "--out", output));

        result.ExitCode.Should().Be(3, result.Stderr);
        server.Requests.Should().NotContain(r => r.Path == "/video.mp4", "nothing was sent to the private result host");
        var error = ErrorLines(result.Stderr).Should().ContainSingle().Subject;
        error.Should().Contain("private, loopback or link-local address")
            .And.Contain("task_ssrf succeeded, so it exists and is paid for")
            .And.Contain("`kling status task_ssrf` shows the task and its result URL")
            .And.Contain("running generate again would pay for a new task");
        (Directory.Exists(output) ? Directory.GetFiles(output) : []).Should().BeEmpty();

        // `kling download` refuses it the same way.
        var download = await KlingInProcess.RunWithEnvironmentAsync(dir, LooksPublic, Against(server, "download", "task_ssrf", "--out", output));
        download.ExitCode.Should().Be(3, download.Stderr);
        ErrorLines(download.Stderr).Should().ContainSingle().Which.Should().Contain("exists and is paid for").And.Contain("kling status task_ssrf");
        server.Requests.Should().NotContain(r => r.Path == "/video.mp4");

        // The same service seen as what it is (loopback, as a local simulator): its results are downloaded.
        var local = await KlingInProcess.RunAsync(dir, Against(server, "download", "task_ssrf", "--out", output));
        local.ExitCode.Should().Be(0, local.Stderr);
        File.Exists(local.Stdout.Trim()).Should().BeTrue(local.Stdout);
    }

    [Fact]
    public async Task A_result_url_that_is_not_http_says_the_task_is_paid_for_and_how_to_see_it()
    {
        await using var server = Service("task_file", record: Record("task_file", "success", resultUrl: "file:///etc/passwd"));
        var dir = KlingProcess.NewDirectory();

        var result = await KlingInProcess.RunAsync(dir, Against(server, "generate", "a boat", "--out", Path.Combine(dir, "out")));

        result.ExitCode.Should().Be(3, result.Stderr);
        ErrorLines(result.Stderr).Should().ContainSingle().Which.Should()
            .Contain("task_file succeeded, so it exists and is paid for").And.Contain("not an absolute http or https URL")
            .And.Contain("`kling status task_file`").And.Contain("running generate again would pay for a new task");

        // And the command it names shows the task and what the service sent, instead of failing on the same URL.
        var status = await KlingInProcess.RunAsync(dir, Against(server, "status", "task_file"));
        status.ExitCode.Should().Be(0, status.Stderr);
        status.Stdout.Should().Contain("task_file: success").And.Contain("cannot be downloaded").And.Contain("file:///etc/passwd");
    }
}
