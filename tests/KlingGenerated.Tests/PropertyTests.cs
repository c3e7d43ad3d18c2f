using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace KlingGenerated.Tests;

/// <summary>Property-based checks of every constraint of the document at its boundaries (FsCheck 3).</summary>
public sealed class PropertyTests
{
    /// <summary>Text pieces: ASCII, CJK, a precomposed letter, a letter with a combining mark, emoji and other surrogate pairs.</summary>
    private static readonly string[] Atoms = ["a", "Z", " ", "中", "é", "e\u0301", "\u0301", "😀", "👍🏽", "𝄞", "\u200d"];

    private sealed class CountingTransport : HttpMessageHandler
    {
        public int Sent;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Sent);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"code":200,"msg":"success","data":{"taskId":"t"}}""", Encoding.UTF8, "application/json"),
            });
        }
    }

    /// <summary>True when the client sent the request; false when validation refused it (and then nothing was sent).</summary>
    private static bool IsSent(CreateTaskRequest request)
    {
        var transport = new CountingTransport();
        var client = new KlingClient(new HttpClient(transport), new KlingClientOptions { ApiKey = "k", BaseUrl = new Uri("http://props.invalid/") });
        try
        {
            client.CreateTaskAsync(request, CancellationToken.None).GetAwaiter().GetResult();
            return transport.Sent == 1;
        }
        catch (ValidationException)
        {
            return transport.Sent == 0 ? false : throw new InvalidOperationException("a refused request reached the transport");
        }
    }

    private static CreateTaskRequest With(Action<CreateTaskInput> change, Uri? callBack = null)
    {
        var input = new CreateTaskInput { Prompt = "p" };
        change(input);
        return new CreateTaskRequest { Input = input, CallBackUrl = callBack };
    }

    /// <summary>Texts whose UTF-16 length clusters around the 2500 limit, built from the atoms above.</summary>
    public static class Texts
    {
        public static Arbitrary<string> Arbitrary() =>
            Gen.Frequency((3, Gen.Choose(2490, 2510)), (1, Gen.Choose(0, 3000)))
                .SelectMany(target => Gen.Choose(0, int.MaxValue).Select(seed => Build(new Random(seed), target)))
                .ToArbitrary();

        private static string Build(Random random, int target)
        {
            var text = new StringBuilder();
            while (text.Length < target)
            {
                text.Append(Atoms[random.Next(Atoms.Length)]);
            }

            return text.ToString();
        }
    }

    [Property(Arbitrary = [typeof(Texts)], MaxTest = 300)]
    public bool A_prompt_is_sent_exactly_when_its_UTF16_length_is_1_to_2500(string prompt) =>
        IsSent(With(i => i.Prompt = prompt)) == (prompt.Length is >= 1 and <= 2500);

    [Property(Arbitrary = [typeof(Texts)], MaxTest = 300)]
    public bool A_negative_prompt_is_sent_exactly_when_its_UTF16_length_is_at_most_2500(string negative) =>
        IsSent(With(i => i.NegativePrompt = negative)) == (negative.Length <= 2500);

    /// <summary>cfg_scale values with the verdict the document implies, built without the client's own arithmetic.</summary>
    public static class CfgScales
    {
        public static Arbitrary<(double Value, bool Valid)> Arbitrary() => Gen.OneOf(
            Gen.Choose(0, 10).SelectMany(k => Gen.Elements<(double, bool)>((k / 10.0, true), (k * 0.1, true), (1 - ((10 - k) * 0.1), true), (k * 0.1 * 3 / 3, true))),
            Gen.Choose(0, 10).SelectMany(k => Gen.Choose(1, 400).Select(m => (((k * 100) + (m % 2 == 0 ? m / 10 + 1 : -(m / 10) - 1)) / 1000.0, false)))
                .Where(v => v.Item1 is >= 0 and <= 1),
            Gen.Choose(1, 100_000).Select(m => (-m / 1000.0, false)),
            Gen.Choose(1, 100_000).Select(m => (1 + (m / 1000.0), false)),
            Gen.Elements<(double, bool)>((double.NaN, false), (double.PositiveInfinity, false), (double.NegativeInfinity, false), (1e-3, false), (1 + 1e-6, false), (-1e-6, false)))
            .ToArbitrary();
    }

    [Property(Arbitrary = [typeof(CfgScales)], MaxTest = 500)]
    public bool A_cfg_scale_is_sent_exactly_when_it_is_a_tenth_from_0_to_1((double Value, bool Valid) cfg) =>
        IsSent(With(i => i.CfgScale = cfg.Value)) == cfg.Valid;

    [Property(MaxTest = 100)]
    public bool Enum_fields_are_sent_exactly_for_the_documented_values(int raw)
    {
        var duration = IsSent(With(i => i.Duration = (VideoDuration)raw)) == Enum.IsDefined((VideoDuration)raw);
        var aspect = IsSent(With(i => i.AspectRatio = (AspectRatio)raw)) == Enum.IsDefined((AspectRatio)raw);
        return duration && aspect;
    }

    /// <summary>Callback URLs: absolute http(s) ones, and relative or other-scheme ones.</summary>
    public static class CallbackUrls
    {
        public static Arbitrary<(Uri Url, bool Valid)> Arbitrary() =>
            Gen.Elements("example.com", "hooks.my-domain.io", "127.0.0.1:8080", "xn--fsq.com", "a.b.c.d.e")
                .SelectMany(host => Gen.Elements("", "/", "/api/callback", "/cb?x=1&y=%20", "/中文/路径", "/#frag"), (host, path) => (host, path))
                .SelectMany(hp => Gen.Elements<(Uri, bool)>(
                    (new Uri($"https://{hp.host}{hp.path}"), true),
                    (new Uri($"http://{hp.host}{hp.path}"), true),
                    (new Uri($"ftp://{hp.host}{hp.path}"), false),
                    (new Uri(hp.path.Length > 0 ? hp.path : "relative", UriKind.Relative), false)))
                .ToArbitrary();
    }

    [Property(Arbitrary = [typeof(CallbackUrls)], MaxTest = 200)]
    public bool A_callBackUrl_is_sent_exactly_when_it_is_an_absolute_http_or_https_URL((Uri Url, bool Valid) callBack) =>
        IsSent(With(_ => { }, callBack.Url)) == callBack.Valid;
}
