using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests;

[Collection("WireMock")]
public sealed class DependencyInjectionTests(WireMockFixture wireMock)
{
    [Fact]
    public async Task AddKlingClient_builds_a_working_client_on_IHttpClientFactory_with_the_configured_base_url()
    {
        wireMock.NewClient();
        wireMock.Answer("/api/v1/chat/credit", JObject.Parse("""{"code":200,"msg":"success","data":100}"""));
        var services = new ServiceCollection();
        var builder = services.AddKlingClient(o => { o.ApiKey = WireMockFixture.ApiKey; o.BaseUrl = wireMock.BaseUrl; });
        builder.AddHttpMessageHandler(() => new MarkingHandler());
        await using var provider = services.BuildServiceProvider();

        var credits = await provider.GetRequiredService<IKlingClient>().GetRemainingCreditsAsync(CancellationToken.None);

        credits.Data.Should().Be(100);
        wireMock.Requests.Single().RequestMessage.Headers!["Authorization"].Should().Equal($"Bearer {WireMockFixture.ApiKey}");
        wireMock.Requests.Single().RequestMessage.Headers!["X-Added-By-Caller"].Should().Equal(["yes"], "a handler added on the returned builder runs for the client's requests");
    }

    private sealed class MarkingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Added-By-Caller", "yes");
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public void AddKlingClient_binds_a_configuration_section()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kling:ApiKey"] = "from-config",
            ["Kling:BaseUrl"] = "http://127.0.0.1:4010/",
            ["Kling:ValidateRequests"] = "false",
        }).Build().GetSection("Kling");
        var services = new ServiceCollection();
        services.AddKlingClient(section);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<KlingClient>().Options;

        options.ApiKey.Should().Be("from-config");
        options.BaseUrl.Should().Be(new Uri("http://127.0.0.1:4010/"));
        options.ValidateRequests.Should().BeFalse();
    }

    [Theory]
    [InlineData(null, "https://api.kie.ai/", "ApiKey is missing")]
    [InlineData("key", "relative/path", "BaseUrl must be an absolute")]
    public void Invalid_options_fail_with_a_clear_message(string? apiKey, string baseUrl, string expected)
    {
        var services = new ServiceCollection();
        services.AddKlingClient(o => { o.ApiKey = apiKey; o.BaseUrl = new Uri(baseUrl, UriKind.RelativeOrAbsolute); });
        using var provider = services.BuildServiceProvider();

        provider.Invoking(p => p.GetRequiredService<IOptions<KlingClientOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage($"*{expected}*");
        new Action(() => new KlingClient(new HttpClient(), new KlingClientOptions { ApiKey = apiKey, BaseUrl = new Uri(baseUrl, UriKind.RelativeOrAbsolute) }))
            .Should().Throw<ArgumentException>().WithMessage($"*{expected}*");
    }

    [Fact]
    public void A_missing_key_in_configuration_is_named_as_configuration_and_the_environment_spell_it()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kling:BaseUrl"] = "https://api.kie.ai/" })
            .Build();
        var services = new ServiceCollection();
        services.AddKlingClient(configuration.GetSection("Kling"));
        using var provider = services.BuildServiceProvider();

        provider.Invoking(p => p.GetRequiredService<IOptions<KlingClientOptions>>().Value)
            .Should().Throw<OptionsValidationException>().WithMessage("*Kling:ApiKey*Kling__ApiKey*");
    }

    [Fact]
    public async Task A_client_on_an_HttpClient_without_BaseAddress_uses_the_options_BaseUrl_and_changing_options_later_has_no_effect()
    {
        var options = new KlingClientOptions { ApiKey = WireMockFixture.ApiKey, BaseUrl = wireMock.BaseUrl };
        wireMock.Server.Reset();
        wireMock.Answer("/api/v1/chat/credit", JObject.Parse("""{"code":200,"msg":"success","data":5}"""));
        var client = new KlingClient(new HttpClient(), options);
        options.ApiKey = "changed-later";

        (await client.GetRemainingCreditsAsync(CancellationToken.None)).Data.Should().Be(5);

        wireMock.Requests.Single().RequestMessage.Headers!["Authorization"].Should().Equal($"Bearer {WireMockFixture.ApiKey}");
    }
}
