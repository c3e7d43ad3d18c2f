using System.Net;
using System.Text;
using KlingGenerated.Tests.Infrastructure;
using Newtonsoft.Json.Linq;
using Xunit.Abstractions;

namespace KlingGenerated.Tests;

/// <summary>
/// 10,000 seeded malformed or adversarial answers: every one ends as success, a KlingApiException, or (when the
/// caller cancelled) an OperationCanceledException; never another exception type, also when the body breaks off
/// mid-read (issue 8, finding 6). Memory stays bounded.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int Seed = 1124;
    private const int Cap = 64 * 1024;

    private static readonly string[] ValidBodies = LoadValidBodies();

    [Fact]
    public async Task Ten_thousand_hostile_answers_end_only_as_documented_outcomes()
    {
        var random = new Random(Seed);
        var handler = new FuzzHandler();
        var client = new KlingClient(new HttpClient(handler), new KlingClientOptions { ApiKey = "k", BaseUrl = new Uri("http://fuzz.invalid/"), MaxResponseBytes = Cap });
        var tally = new Dictionary<string, int>();
        var unexpected = new List<string>();

        for (var i = 0; i < Cases; i++)
        {
            var (kind, answer) = Generate(random);
            handler.Next = answer;
            using var cancel = new CancellationTokenSource();
            var cancelled = random.Next(50) == 0;
            if (cancelled)
            {
                handler.OnRead = () => cancel.Cancel();
            }

            string outcome;
            try
            {
                await Call(client, random.Next(4), cancel.Token);
                outcome = "success";
            }
            catch (KlingApiException)
            {
                outcome = "KlingApiException";
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                outcome = "cancelled";
            }
            catch (Exception exception)
            {
                outcome = "unexpected";
                unexpected.Add($"case {i} ({kind}): {exception.GetType().Name}: {exception.Message}");
            }
            finally
            {
                handler.OnRead = null;
            }

            tally[$"{kind} -> {outcome}"] = tally.GetValueOrDefault($"{kind} -> {outcome}") + 1;
        }

        foreach (var line in tally.OrderBy(t => t.Key))
        {
            output.WriteLine($"{line.Value,6}  {line.Key}");
        }

        output.WriteLine($"largest number of bytes read from one answer: {handler.MostBytesRead} (cap {Cap})");
        unexpected.Should().BeEmpty(string.Join(Environment.NewLine, unexpected.Take(10)));
        tally.Values.Sum().Should().Be(Cases);
        handler.MostBytesRead.Should().BeLessThanOrEqualTo(Cap + 1, "the client stops reading one byte past its cap, even for 10 MB answers");
    }

    private static Task Call(KlingClient client, int which, CancellationToken cancellationToken) => which switch
    {
        0 => client.GetRemainingCreditsAsync(cancellationToken),
        1 => client.GetTaskRecordAsync("task_fuzz", cancellationToken),
        2 => client.CreateTaskAsync(new CreateTaskRequest { Input = new CreateTaskInput { Prompt = "fuzz" } }, cancellationToken),
        _ => client.GetDownloadUrlAsync(new DownloadUrlRequest { Url = new Uri("https://example.com/v.mp4") }, cancellationToken),
    };

    private static (string Kind, Answer Answer) Generate(Random random)
    {
        var valid = ValidBodies[random.Next(ValidBodies.Length)];
        var status = random.Next(10) < 7 ? 200 : new[] { 204, 400, 401, 403, 404, 429, 500, 502, 503, 504 }[random.Next(10)];
        switch (random.Next(12))
        {
            case 0:
                return ("truncated JSON", new Answer(status, Encoding.UTF8.GetBytes(valid[..random.Next(valid.Length)])));
            case 1:
                return ("wrong types", new Answer(status, Encoding.UTF8.GetBytes(WrongType(valid, random))));
            case 2:
                var huge = new string((char)random.Next('a', 'z'), random.Next(1000, 3 * Cap));
                return ("huge strings", new Answer(status, Encoding.UTF8.GetBytes(random.Next(2) == 0
                    ? "{\"code\":500,\"msg\":\"" + huge + "\"}"
                    : "{\"code\":200,\"msg\":\"success\",\"data\":{\"taskId\":\"" + huge + "\",\"state\":\"success\"}}")));
            case 3:
                var depth = random.Next(20, 5000);
                return ("deep nesting", new Answer(status, Encoding.UTF8.GetBytes("""{"code":200,"msg":"success","data":""" + new string('[', depth) + new string(']', depth) + "}")));
            case 4:
                var bytes = Encoding.UTF8.GetBytes(valid).ToList();
                for (var n = random.Next(1, 5); n > 0; n--)
                {
                    bytes.Insert(random.Next(bytes.Count), (byte)random.Next(0x80, 0x100));
                }

                return ("invalid UTF-8", new Answer(status, bytes.ToArray()));
            case 5:
                return ("HTML page", new Answer(random.Next(2) == 0 ? 200 : 502, Encoding.UTF8.GetBytes("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"), "text/html"));
            case 6:
                return ("empty body", new Answer(status, []));
            case 7:
                return random.Next(50) == 0
                    ? ("10 MB body", new Answer(status, [], Streamed: 10 * 1024 * 1024))
                    : ("random bytes", new Answer(status, RandomBytes(random)));
            case 8:
                var chars = valid.ToCharArray();
                chars[random.Next(chars.Length)] = "{}[]\",:0a-\\"[random.Next(11)];
                return ("one character flipped", new Answer(status, Encoding.UTF8.GetBytes(new string(chars))));
            case 10:
                var whole = Encoding.UTF8.GetBytes(valid);
                return ("body cut mid-read", new Answer(status, whole, BreakAfter: random.Next(whole.Length)));
            case 9:
                return ("plain text", new Answer(status == 200 ? 403 : status, Encoding.UTF8.GetBytes("error code: 1010"), "text/plain"));
            default:
                return ("documented example", new Answer(status, Encoding.UTF8.GetBytes(valid)));
        }
    }

    private static string WrongType(string valid, Random random)
    {
        var body = JObject.Parse(valid);
        var fields = body.Descendants().OfType<JProperty>().ToList();
        var target = fields[random.Next(fields.Count)];
        target.Value = random.Next(7) switch
        {
            0 => new JValue("text"),
            1 => new JValue(random.NextDouble() * 1e300),
            2 => new JValue(true),
            3 => new JArray(1, 2, 3),
            4 => new JObject { ["nested"] = new JObject() },
            5 => JValue.CreateNull(),
            _ => new JValue(long.MaxValue),
        };
        return body.ToString(Newtonsoft.Json.Formatting.None);
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 2048)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string[] LoadValidBodies() =>
        ((JObject)Repo.Spec.SelectToken("$.components.examples")!).Properties()
            .Select(p => p.Value["value"]!.ToString(Newtonsoft.Json.Formatting.None))
            .Concat(["""{"code":200,"msg":"success","data":{"taskId":"task_1"}}""", """{"code":200,"msg":"success","data":100}""", """{"code":200,"msg":"success","data":"https://example.com/d.mp4"}"""])
            .ToArray();

    private sealed record Answer(int Status, byte[] Body, string ContentType = "application/json", long Streamed = 0, int BreakAfter = -1);

    /// <summary>Serves the next answer in memory; a streamed answer has no Content-Length and counts what was read.</summary>
    private sealed class FuzzHandler : HttpMessageHandler
    {
        public Answer Next { get; set; } = null!;

        public Action? OnRead { get; set; }

        public long MostBytesRead { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var answer = Next;
            HttpContent content = answer.Streamed > 0 ? new StreamContent(new EndlessStream(answer.Streamed, this))
                : answer.BreakAfter >= 0 ? new StreamContent(new BreakingStream(answer.Body, answer.BreakAfter))
                : new ByteArrayContent(answer.Body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(answer.ContentType);
            OnRead?.Invoke();
            return Task.FromResult(new HttpResponseMessage((HttpStatusCode)answer.Status) { Content = content, RequestMessage = request });
        }

        /// <summary>Gives the first bytes of a body, then fails as SocketsHttpHandler does when the connection closes early.</summary>
        private sealed class BreakingStream(byte[] body, int breakAfter) : ReadOnlyTestStream
        {
            private int _read;

            protected override long BytesRead => _read;

            public override int Read(byte[] buffer, int offset, int count)
            {
                var n = Math.Min(count, breakAfter - _read);
                if (n <= 0)
                {
                    throw new HttpIOException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
                }

                body.AsSpan(_read, n).CopyTo(buffer.AsSpan(offset));
                _read += n;
                return n;
            }
        }

        private sealed class EndlessStream(long length, FuzzHandler owner) : ReadOnlyTestStream
        {
            private long _read;

            protected override long BytesRead => _read;

            public override int Read(byte[] buffer, int offset, int count)
            {
                var n = (int)Math.Min(count, length - _read);
                buffer.AsSpan(offset, n).Fill((byte)'7');
                _read += n;
                owner.MostBytesRead = Math.Max(owner.MostBytesRead, _read);
                return n;
            }
        }
    }
}
