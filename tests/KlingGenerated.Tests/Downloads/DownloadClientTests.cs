using System.Buffers.Binary;
using System.Net;
using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests.Downloads;

/// <summary>
/// Downloads through <see cref="IKlingClient"/>: the result hosts' HttpClient is injectable (a named client through DI,
/// a property otherwise) and never carries the API key; the whole-MP4 check runs as the bytes stream, under a box cap
/// and the download's cancellation.
/// </summary>
public sealed class DownloadClientTests : IDisposable
{
    private const string ApiKey = "secret-api-key-never-for-result-hosts";
    private readonly string _folder = Directory.CreateTempSubdirectory("kling-download-client-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_client_from_DI_downloads_through_IKlingClient_on_the_named_download_client_without_the_API_key()
    {
        var video = Mp4(200_000);
        await using var host = HostileServer.Start(HostileServer.Answer(200, video, ("Content-Type", "video/mp4")));
        var seen = new Recording();
        var services = new ServiceCollection();
        services.AddKlingClient(o => o.ApiKey = ApiKey);
        services.AddHttpClient(KlingServiceCollectionExtensions.DownloadHttpClientName).AddHttpMessageHandler(() => seen);
        await using var provider = services.BuildServiceProvider();
        IKlingClient client = provider.GetRequiredService<IKlingClient>();

        var path = await client.DownloadResultToFileAsync(host.Url("/result.mp4?sig=abc"), Path.Combine(_folder, "a.mp4"));

        (await File.ReadAllBytesAsync(path)).Should().Equal(video);
        seen.Requests.Should().ContainSingle("the download went through the named client, which the application can configure")
            .Which.Should().Be("/result.mp4?sig=abc");
        host.Requests.Should().ContainSingle().Which.Header("Authorization").Should().BeNull();
        string.Join("\n", host.Requests[0].Headers.Values).Should().NotContain(ApiKey);
    }

    [Fact]
    public async Task A_client_built_by_hand_downloads_on_the_HttpClient_given_to_it_without_the_API_key()
    {
        var video = Mp4(50_000);
        await using var host = HostileServer.Start(HostileServer.Answer(200, video, ("Content-Type", "video/mp4")));
        var seen = new Recording { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } };
        using var downloads = new HttpClient(seen);
        IKlingClient client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey }) { DownloadHttpClient = downloads };
        using var destination = new MemoryStream();

        (await client.DownloadResultAsync(host.Url("/r.mp4"), destination)).Should().Be(video.Length);

        destination.ToArray().Should().Equal(video);
        seen.Requests.Should().Equal("/r.mp4");
        host.Requests.Should().ContainSingle().Which.Header("Authorization").Should().BeNull();
    }

    [Fact]
    public async Task A_download_client_that_would_carry_credentials_is_refused_before_anything_is_sent()
    {
        await using var host = HostileServer.Start(HostileServer.Answer(200, Mp4(1000)));
        var api = new HttpClient();
        var withKey = new HttpClient();
        withKey.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        var withKeyElsewhere = new HttpClient();
        withKeyElsewhere.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        foreach (var downloads in new[] { api, withKey, withKeyElsewhere })
        {
            var client = new KlingClient(api, new KlingClientOptions { ApiKey = ApiKey }) { DownloadHttpClient = downloads };
            await client.Invoking(c => c.DownloadResultToFileAsync(host.Url("/r.mp4"), Path.Combine(_folder, "r.mp4")))
                .Should().ThrowAsync<InvalidOperationException>().WithMessage("*credentials*nothing was downloaded*");
        }

        host.Requests.Should().BeEmpty("nothing reached the result host");
        Directory.GetFileSystemEntries(_folder).Should().BeEmpty();
    }

    [Fact]
    public async Task A_result_of_many_tiny_boxes_is_refused_at_the_box_cap_while_it_streams()
    {
        const long total = 128L << 20; // 128 MiB of 8-byte boxes: 16 million of them
        await using var host = HostileServer.Start(TinyBoxes(total));
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey });
        var path = Path.Combine(_folder, "boxes.mp4");

        var error = (await client.Invoking(c => c.DownloadResultToFileAsync(host.Url("/boxes.mp4"), path, new KlingDownloadOptions { MaxMp4Boxes = 10_000 }))
            .Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.NotAVideo);
        error.Message.Should().Contain("more than 10000 top-level boxes").And.Contain("MaxMp4Boxes");
        error.BytesReceived.Should().BeLessThan(total, "the download stopped at the cap instead of reading the rest");
        Directory.GetFileSystemEntries(_folder).Should().BeEmpty("nothing was saved, and the temporary file is gone");
    }

    [Fact]
    public async Task A_download_of_tiny_boxes_without_a_cap_observes_cancellation_while_it_streams()
    {
        await using var host = HostileServer.Start(TinyBoxes(total: null)); // endless, without a length
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey });
        using var cancel = new CancellationTokenSource();
        var cancelAfter = new CancelAfterBytes(cancel, 1 << 20);
        var path = Path.Combine(_folder, "endless.mp4");

        await client.Invoking(c => c.DownloadResultToFileAsync(host.Url("/endless.mp4"), path,
                new KlingDownloadOptions { MaxMp4Boxes = int.MaxValue, MaxBytes = long.MaxValue }, cancelAfter, cancel.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        cancelAfter.Cancelled.Should().BeTrue("the token was cancelled mid-stream, and the download observed it");
        Directory.GetFileSystemEntries(_folder).Should().BeEmpty("nothing was saved, and the temporary file is gone");
    }

    [Fact]
    public async Task A_redirect_from_https_down_to_http_is_not_followed()
    {
        await using var plain = HostileServer.Start(HostileServer.Answer(200, Mp4(1000)));
        // The TLS host is played by a handler (no certificate needed): it answers the https URL with a redirect to plain http.
        using var downloads = new HttpClient(new RedirectingHandler(plain.Url("/r.mp4")));
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey }) { DownloadHttpClient = downloads };

        var error = (await client.Invoking(c => c.DownloadResultToFileAsync(new Uri("https://results.invalid/r.mp4"), Path.Combine(_folder, "r.mp4")))
            .Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.InvalidUrl);
        error.Message.Should().Contain("from https to plain http");
        plain.Requests.Should().BeEmpty("the redirect was not followed");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task On_request_a_result_host_on_a_private_address_is_refused_before_anything_is_sent(string host)
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Mp4(1000)));
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey });
        var url = new UriBuilder(server.Url("/r.mp4")) { Host = host }.Uri;

        var error = (await client.Invoking(c => c.DownloadResultToFileAsync(url, Path.Combine(_folder, "r.mp4"), new KlingDownloadOptions { RefusePrivateHosts = true }))
            .Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.InvalidUrl);
        error.Message.Should().Contain("RefusePrivateHosts");
        server.Requests.Should().BeEmpty("nothing was sent to it");
        (await client.DownloadResultToFileAsync(url, Path.Combine(_folder, "r.mp4"))).Should().EndWith("r.mp4", "without the option the same host is allowed, so the refusal above is the option's");
    }

    [Fact]
    public async Task On_request_a_redirect_to_a_private_address_is_not_followed()
    {
        await using var inside = HostileServer.Start(HostileServer.Answer(200, Mp4(1000)));
        // A public host is played by a handler (nothing leaves this machine): it redirects to the loopback server.
        using var downloads = new HttpClient(new RedirectingHandler(inside.Url("/r.mp4")));
        var client = new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = ApiKey }) { DownloadHttpClient = downloads };

        var error = (await client.Invoking(c => c.DownloadResultToFileAsync(new Uri("http://93.184.216.34/r.mp4"), Path.Combine(_folder, "r.mp4"), new KlingDownloadOptions { RefusePrivateHosts = true }))
            .Should().ThrowExactlyAsync<KlingDownloadException>()).Which;

        error.Reason.Should().Be(KlingDownloadFailure.InvalidUrl);
        error.Message.Should().Contain("private");
        inside.Requests.Should().BeEmpty("the redirect was not followed");
    }

    /// <summary>An ftyp box, then 8-byte 'free' boxes: <paramref name="total"/> bytes with a Content-Length, or endless without one.</summary>
    private static Func<HostileExchange, Task> TinyBoxes(long? total) => async exchange =>
    {
        await exchange.WriteHeadAsync(200, total, ("Content-Type", "video/mp4"));
        var chunk = new byte[64 * 1024];
        for (var at = 0; at < chunk.Length; at += 8)
        {
            BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(at), 8);
            "free"u8.CopyTo(chunk.AsSpan(at + 4));
        }

        var first = (byte[])chunk.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(first, 16);
        "ftyp"u8.CopyTo(first.AsSpan(4));
        var sent = 0L;
        try
        {
            for (var i = 0; total is null || sent < total; i++)
            {
                var n = (int)Math.Min(chunk.Length, (total ?? long.MaxValue) - sent);
                await exchange.WriteAsync((i == 0 ? first : chunk).AsMemory(0, n));
                sent += n;
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The client stopped reading: what the tests expect.
        }
    };

    private static byte[] Mp4(int length)
    {
        var bytes = System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);
        Box(0, 16, "ftyp");
        Box(16, 8, "moov");
        Box(24, length - 24, "mdat");
        return bytes;

        void Box(int at, int size, string type)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), (uint)size);
            System.Text.Encoding.ASCII.GetBytes(type).CopyTo(bytes, at + 4);
        }
    }

    private sealed class Recording : DelegatingHandler
    {
        private readonly List<string> _requests = [];

        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization.Should().BeNull("the download request never carries the key");
            lock (_requests)
            {
                _requests.Add(request.RequestUri!.PathAndQuery);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class CancelAfterBytes(CancellationTokenSource cancel, long bytes) : IProgress<KlingDownloadProgress>
    {
        public bool Cancelled { get; private set; }

        public void Report(KlingDownloadProgress value)
        {
            if (value.BytesReceived >= bytes && !Cancelled)
            {
                Cancelled = true;
                cancel.Cancel();
            }
        }
    }

    private sealed class RedirectingHandler(Uri location) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(HttpStatusCode.Found) { RequestMessage = request };
            response.Headers.Location = location;
            return Task.FromResult(response);
        }
    }
}
