using System.Security.Cryptography;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests;

/// <summary>Issue 8, findings 1 (library side), 2, 3 and 4: the library's result download against a hostile result host.</summary>
public sealed class DownloadTests : IDisposable
{
    private const string ApiKey = "secret-api-key-never-for-result-hosts";
    private readonly string _folder = Directory.CreateTempSubdirectory("kling-download-").FullName;
    private readonly KlingClient _client = new(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey });

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Random bytes shaped as a whole MP4 (ftyp, moov, mdat adding up to the length) when long enough; short ones are fragments.</summary>
    private static byte[] Video(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        if (length >= 32)
        {
            Box(bytes, 0, 16, "ftyp");
            Box(bytes, 16, 8, "moov");
            Box(bytes, 24, length - 24, "mdat");
        }

        return bytes;

        static void Box(byte[] into, int at, int size, string type)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(into.AsSpan(at), (uint)size);
            System.Text.Encoding.ASCII.GetBytes(type).CopyTo(into, at + 4);
        }
    }

    private string[] FolderEntries() => Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName).ToArray()!;

    private sealed class Recorder : IProgress<KlingDownloadProgress>
    {
        public List<KlingDownloadProgress> Reports { get; } = [];

        public void Report(KlingDownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task The_download_sends_no_API_key_to_the_result_host_nor_to_where_it_redirects()
    {
        var video = Video(300_000);
        await using var target = HostileServer.Start(HostileServer.Answer(200, video, ("Content-Type", "video/mp4")));
        await using var first = HostileServer.Start(HostileServer.Redirect(target.Url("/final.mp4").AbsoluteUri, 307));
        using var destination = new MemoryStream();

        var written = await _client.DownloadResultAsync(first.Url("/result.mp4?sig=abc"), destination);

        written.Should().Be(video.Length);
        destination.ToArray().Should().Equal(video);
        var requests = first.Requests.Concat(target.Requests).ToList();
        requests.Select(r => r.Path).Should().Equal("/result.mp4", "/final.mp4");
        requests.Should().AllSatisfy(r =>
        {
            r.Method.Should().Be("GET");
            r.Header("Authorization").Should().BeNull();
            string.Join("\n", r.Headers.Values).Should().NotContain(ApiKey);
        });
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://127.0.0.1/video.mp4")]
    [InlineData("gopher://127.0.0.1:70/x")]
    public async Task A_redirect_that_leaves_http_or_https_is_not_followed(string location)
    {
        await using var server = HostileServer.Start(HostileServer.Redirect(location, 302));
        using var destination = new MemoryStream();

        var error = (await _client.Invoking(c => c.DownloadResultAsync(server.Url("/result.mp4"), destination)).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.InvalidUrl);
        error.Message.Should().Contain("not http or https").And.Contain(new Uri(location).Scheme + ":");
        server.Requests.Should().ContainSingle();
        destination.Length.Should().Be(0);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("ftp://example.com/video.mp4")]
    public async Task A_result_url_that_is_not_http_or_https_is_refused_before_anything_is_sent(string url)
    {
        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(new Uri(url), Path.Combine(_folder, "x.mp4"))).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.InvalidUrl);
        FolderEntries().Should().BeEmpty();
    }

    [Fact]
    public async Task More_redirects_than_MaxRedirects_stop_the_download()
    {
        HostileServer? server = null;
        server = HostileServer.Start(exchange => HostileServer.Redirect(server!.Url("/again").AbsoluteUri, 301)(exchange));
        await using var _ = server;

        var error = (await _client.Invoking(c => c.DownloadResultAsync(server.Url("/start"), Stream.Null, new KlingDownloadOptions { MaxRedirects = 3 })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.TooManyRedirects);
        error.Message.Should().Contain("more than 3");
        server.Requests.Should().HaveCount(4, "the first request and three redirects");
    }

    [Fact]
    public async Task Progress_is_reported_in_bytes_with_the_announced_total()
    {
        var video = Video(1_000_000);
        await using var server = HostileServer.Start(HostileServer.Answer(200, video));
        var progress = new Recorder();

        await _client.DownloadResultAsync(server.Url("/v.mp4"), Stream.Null, progress: progress);

        progress.Reports.First().Should().Be(new KlingDownloadProgress(0, video.Length));
        progress.Reports.Last().Should().Be(new KlingDownloadProgress(video.Length, video.Length));
        progress.Reports.Select(r => r.BytesReceived).Should().BeInAscendingOrder();
    }

    [Fact]
    public async Task Cancellation_stops_a_stalled_download_with_OperationCanceledException()
    {
        await using var server = HostileServer.Start(HostileServer.StallAfterHeaders(declared: 1_000_000, sent: Video(1000)[..10])); // the start of a whole MP4, so only the stall stops it
        using var cancel = new CancellationTokenSource();
        var progress = new Recorder();
        var download = _client.DownloadResultToFileAsync(server.Url("/v.mp4"), Path.Combine(_folder, "v.mp4"), new KlingDownloadOptions { IdleTimeout = TimeSpan.FromMinutes(5) }, progress, cancel.Token);
        while (server.Requests.Count == 0)
        {
            await Task.Delay(10);
        }

        await cancel.CancelAsync();

        await download.Awaiting(d => d).Should().ThrowAsync<OperationCanceledException>();
        FolderEntries().Should().BeEmpty("the temporary file is removed on cancellation");
    }

    [Fact]
    public async Task A_body_that_declares_more_than_MaxBytes_is_refused_before_it_is_read()
    {
        await using var server = HostileServer.Start(HostileServer.Huge(5L << 30));

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/huge.mp4"), Path.Combine(_folder, "huge.mp4"), new KlingDownloadOptions { MaxBytes = 1 << 20 })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.TooLarge);
        error.Message.Should().Contain("5368709120 bytes").And.Contain("MaxBytes");
        FolderEntries().Should().BeEmpty();
    }

    [Fact]
    public async Task A_body_without_a_length_stops_at_MaxBytes()
    {
        await using var server = HostileServer.Start(HostileServer.Huge(5L << 30, declareLength: false));
        using var destination = new MemoryStream();

        var error = (await _client.Invoking(c => c.DownloadResultAsync(server.Url("/huge.mp4"), destination, new KlingDownloadOptions { MaxBytes = 1 << 20 })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.TooLarge);
        destination.Length.Should().BeLessThanOrEqualTo(1 << 20, "nothing past the cap is written");
    }

    [Fact]
    public async Task A_dripping_body_is_stopped_by_the_overall_deadline_although_bytes_keep_coming()
    {
        await using var server = HostileServer.Start(HostileServer.Drip(Video(10_000), TimeSpan.FromMilliseconds(50)));

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/drip.mp4"), Path.Combine(_folder, "drip.mp4"),
            new KlingDownloadOptions { IdleTimeout = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(1) })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.Timeout);
        error.BytesReceived.Should().BeInRange(1, 9_999);
        error.Message.Should().Contain("KlingDownloadOptions.Timeout");
        FolderEntries().Should().BeEmpty();
    }

    [Fact]
    public async Task A_body_that_stalls_after_the_headers_is_stopped_by_the_idle_timeout()
    {
        await using var server = HostileServer.Start(HostileServer.StallAfterHeaders(declared: 1000, sent: Video(100)));

        // 3 s, not 300 ms: on a loaded machine the 100 bytes can arrive later than 300 ms after the headers (CI on 440b486 saw 0 bytes).
        var error = (await _client.Invoking(c => c.DownloadResultAsync(server.Url("/stall.mp4"), Stream.Null,
            new KlingDownloadOptions { IdleTimeout = TimeSpan.FromSeconds(3) })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.IdleTimeout);
        error.BytesReceived.Should().Be(100);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_stopped_by_the_idle_timeout()
    {
        await using var server = HostileServer.Start(HostileServer.NeverAnswer());

        var error = (await _client.Invoking(c => c.DownloadResultAsync(server.Url("/silent.mp4"), Stream.Null,
            new KlingDownloadOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.IdleTimeout);
        error.BytesReceived.Should().Be(0);
    }

    [Fact]
    public async Task A_broken_download_leaves_the_existing_file_untouched_and_no_temporary_file()
    {
        var good = Video(50_000);
        var path = Path.Combine(_folder, "task1.mp4");
        await File.WriteAllBytesAsync(path, good);
        await using var server = HostileServer.Start(HostileServer.Truncate(declared: 1_000_000, sent: Video(3)));

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/task1.mp4"), path, new KlingDownloadOptions { Overwrite = true })).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.ConnectionFailed);
        error.Message.Should().Contain("broke after 3 of 1000000 bytes");
        (await File.ReadAllBytesAsync(path)).Should().Equal(good);
        FolderEntries().Should().Equal("task1.mp4");
    }

    [Fact]
    public async Task An_existing_file_is_never_replaced_unless_Overwrite_is_set()
    {
        var good = Video(1000);
        var fresh = Video(2000);
        var path = Path.Combine(_folder, "task2.mp4");
        await File.WriteAllBytesAsync(path, good);
        await using var server = HostileServer.Start(HostileServer.Answer(200, fresh));

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/task2.mp4"), path)).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.FileExists);
        error.Message.Should().Contain("Overwrite");
        server.Requests.Should().BeEmpty("nothing is downloaded for a file that would not be written");
        (await File.ReadAllBytesAsync(path)).Should().Equal(good);

        var written = await _client.DownloadResultToFileAsync(server.Url("/task2.mp4"), path, new KlingDownloadOptions { Overwrite = true });

        written.Should().Be(path);
        (await File.ReadAllBytesAsync(path)).Should().Equal(fresh);
        FolderEntries().Should().Equal("task2.mp4");
    }

    [Fact]
    public async Task A_completed_download_appears_under_its_name_only_when_complete()
    {
        var video = Video(700_000);
        var path = Path.Combine(_folder, "task3.mp4");
        var seenDuringDownload = new List<string[]>();
        await using var server = HostileServer.Start(async exchange =>
        {
            await exchange.WriteHeadAsync(200, video.Length);
            await exchange.WriteAsync(video.AsMemory(0, 1000));
            await Task.Delay(200);
            seenDuringDownload.Add(FolderEntries());
            await exchange.WriteAsync(video.AsMemory(1000));
        });

        await _client.DownloadResultToFileAsync(server.Url("/task3.mp4"), path);

        seenDuringDownload.Should().ContainSingle().Which.Should().ContainSingle().Which.Should().StartWith(".task3.mp4.").And.EndWith(".part");
        (await File.ReadAllBytesAsync(path)).Should().Equal(video);
        FolderEntries().Should().Equal("task3.mp4");
    }

    [Fact]
    public async Task A_missing_folder_is_not_created()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Video(10)));
        var path = Path.Combine(_folder, "srv", "videos", "victim.mp4");

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/v.mp4"), path)).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.WriteFailed);
        error.Message.Should().Contain("does not exist");
        FolderEntries().Should().BeEmpty();
        server.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task An_HTTP_error_from_the_result_host_says_the_URL_may_have_expired()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(404, "gone"));

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/v.mp4"), Path.Combine(_folder, "v.mp4"))).Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.HttpStatus);
        error.HttpStatus.Should().Be(404);
        error.Message.Should().Contain("may have expired");
        FolderEntries().Should().BeEmpty();
    }

    [Theory]
    [InlineData("task_kling_17000000000001", "task_kling_17000000000001.mp4")]
    [InlineData("a-B_9", "a-B_9.mp4")]
    [InlineData("task_kling-2.6_17000000000001", "task_kling-2.6_17000000000001.mp4")]
    public void KlingFileNames_keeps_a_plain_task_id(string taskId, string expected) =>
        KlingFileNames.ForTask(taskId).Should().Be(expected);

    [Theory]
    [InlineData("../../../../x")]
    [InlineData("/srv/videos/victim")]
    [InlineData("C:\\Windows\\x")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("[red]x\u001b[2J\r\nerror: forged")]
    [InlineData("-rf")]
    [InlineData("CON")]
    [InlineData("CON.x")]
    [InlineData(".hidden")]
    [InlineData("a..b")]
    [InlineData("ends.")]
    [InlineData("tâche")]
    public void KlingFileNames_hashes_a_task_id_outside_the_allow_list(string taskId)
    {
        var name = KlingFileNames.ForTask(taskId);

        name.Should().MatchRegex("^task-[0-9a-f]{16}\\.mp4$");
        name.Should().Be(KlingFileNames.ForTask(taskId), "the same id always gives the same name");
        KlingFileNames.InsideDirectory(_folder, name).Should().Be(Path.Combine(_folder, name));
    }

    [Fact]
    public void KlingFileNames_never_puts_a_registered_API_key_in_a_file_name()
    {
        var key = "echoedkey" + Guid.NewGuid().ToString("N");
        KlingFileNames.ForTask("task_" + key).Should().Be("task_" + key + ".mp4", "before the key is registered it is only an id");
        KlingSecrets.Add(key);

        var name = KlingFileNames.ForTask("task_" + key);

        name.Should().MatchRegex("^task-[0-9a-f]{16}\\.mp4$").And.NotContain(key);
        KlingFileNames.ForTask(key).Should().NotContain(key);
    }

    [Fact]
    public void KlingFileNames_gives_different_ids_different_names_and_hashes_an_overlong_one()
    {
        KlingFileNames.ForTask("a/b").Should().NotBe(KlingFileNames.ForTask("a\\b"));
        KlingFileNames.ForTask(new string('a', 101)).Should().MatchRegex("^task-[0-9a-f]{16}\\.mp4$");
        KlingFileNames.ForTask("abc", ".json").Should().Be("abc.json");
        FluentActions.Invoking(() => KlingFileNames.ForTask("abc", "/../x")).Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("../x.mp4")]
    [InlineData("/etc/x.mp4")]
    [InlineData("sub/x.mp4")]
    [InlineData("..")]
    [InlineData(".")]
    public void KlingFileNames_InsideDirectory_refuses_a_name_that_leaves_the_folder(string fileName)
    {
        FluentActions.Invoking(() => KlingFileNames.InsideDirectory(_folder, fileName)).Should().Throw<ArgumentException>().WithMessage("*would leave the folder*");
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("html")]
    [InlineData("cut-without-length")]
    public async Task A_result_that_is_not_a_whole_MP4_never_replaces_a_good_file(string answer)
    {
        var good = Video(50_000);
        var path = Path.Combine(_folder, "task9.mp4");
        await File.WriteAllBytesAsync(path, good);
        var fresh = Video(40_000);
        await using var server = HostileServer.Start(answer switch
        {
            "empty" => HostileServer.Answer(200, Array.Empty<byte>(), ("Content-Type", "video/mp4")),
            "html" => HostileServer.Answer(200, "<html>expired</html>", ("Content-Type", "text/html")),
            _ => async exchange =>
            {
                await exchange.WriteHeadAsync(200, null, ("Connection", "close"));
                await exchange.WriteAsync(fresh.AsMemory(0, 20_000)); // then the connection closes: the body "ends" early
            },
        });

        var error = (await _client.Invoking(c => c.DownloadResultToFileAsync(server.Url("/task9.mp4"), path, new KlingDownloadOptions { Overwrite = true }))
            .Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        server.Requests.Should().ContainSingle("the download was attempted");
        error.Reason.Should().Be(KlingDownloadFailure.NotAVideo);
        error.Message.Should().Contain("was left as it was");
        (await File.ReadAllBytesAsync(path)).Should().Equal(good);
        FolderEntries().Should().Equal("task9.mp4");
    }
}
