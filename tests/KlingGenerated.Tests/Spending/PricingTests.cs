using KlingGenerated.Simulator;
using KlingGenerated.Tests.Infrastructure;

namespace KlingGenerated.Tests.Spending;

/// <summary>Prices are data in the OpenAPI document (x-kling-pricing), read at run time by the client and the simulator alike.</summary>
public sealed class PricingTests
{
    private static CreateTaskRequest Request(VideoDuration? duration) => new() { Input = new CreateTaskInput { Prompt = "p", Duration = duration } };

    [Fact]
    public void The_document_prices_a_5_second_task_at_42_and_a_10_second_one_at_84()
    {
        KlingPricing.Document.PriceOf(Request(VideoDuration.FiveSeconds)).Should().Be(42m);
        KlingPricing.Document.PriceOf(Request(VideoDuration.TenSeconds)).Should().Be(84m);
        KlingPricing.Document.ReadOn.Should().Be("2026-12");
        KlingPricing.Document.Unit.Should().Be("credits");
    }

    [Fact]
    public void An_absent_duration_is_priced_at_the_service_default()
    {
        KlingPricing.Document.PriceOf(Request(null)).Should().Be(42m, "the service makes 5 seconds when duration is absent (x-service-default)");
        KlingPricing.Document.PriceOf("""{"model":"kling/v2-5-turbo-text-to-video-pro","input":{"prompt":"p"}}""").Should().Be(42m);
        KlingPricing.Document.PriceOf("""{"input":{"prompt":"p"}}""").Should().BeNull("a body without a model has no price");
        KlingPricing.Document.LowestPrice.Should().Be(42m);
    }

    [Fact]
    public void A_changed_price_in_a_copy_of_the_document_is_followed_without_a_code_change()
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, "openapi", "kling.openapi.yaml"))
            .Replace("              '10': 84", "              '10': 90", StringComparison.Ordinal);

        var pricing = KlingPricing.Parse(text);

        pricing.PriceOf(Request(VideoDuration.TenSeconds)).Should().Be(90m);
        pricing.PriceOf(Request(VideoDuration.FiveSeconds)).Should().Be(42m);
    }

    [Fact]
    public void A_document_without_pricing_is_refused_with_a_clear_error()
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, "openapi", "kling.openapi.yaml")).Replace("x-kling-pricing:", "x-not-pricing:", StringComparison.Ordinal);

        FluentActions.Invoking(() => KlingPricing.Parse(text)).Should().Throw<InvalidOperationException>().WithMessage("*x-kling-pricing*");
    }

    [Fact]
    public void A_user_whose_price_differs_overrides_one_price_and_keeps_the_others()
    {
        var pricing = KlingPricing.Document.WithPrice("kling/v2-5-turbo-text-to-video-pro", "10", 100m);

        pricing.PriceOf(Request(VideoDuration.TenSeconds)).Should().Be(100m);
        pricing.PriceOf(Request(VideoDuration.FiveSeconds)).Should().Be(42m);
        KlingPricing.Document.PriceOf(Request(VideoDuration.TenSeconds)).Should().Be(84m, "the document's prices are not changed");
    }

    [Fact]
    public async Task The_simulator_charges_each_task_the_documents_price_for_its_request()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Credits = 1000, RateLimit = 100, WaitingFor = TimeSpan.FromMilliseconds(50), QueuingFor = TimeSpan.FromMilliseconds(50), GeneratingFor = TimeSpan.FromMilliseconds(50) });
        var client = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl });

        await client.CreateTaskAsync(Request(VideoDuration.TenSeconds));
        (await client.GetRemainingCreditsAsync()).Data.Should().Be(1000 - 84);
        var created = await client.CreateTaskAsync(Request(null));
        (await client.GetRemainingCreditsAsync()).Data.Should().Be(1000 - 84 - 42);

        var record = await client.WaitForCompletionAsync(created.Data!.TaskId!, SimulatorFixture.FastPolling);
        record.CreditsConsumed.Should().Be(42);
    }

    private static VideoTaskRequest FromJson(string body) => Newtonsoft.Json.Linq.JObject.Parse(body).ToObject<VideoTaskRequest>()!;

    private static VideoTaskRequest Kling26(string model, string duration, bool sound)
    {
        var input = new Newtonsoft.Json.Linq.JObject { ["prompt"] = "p", ["sound"] = sound, ["duration"] = duration };
        if (model == "kling-2.6/text-to-video")
        {
            input["aspect_ratio"] = "1:1";
        }
        else
        {
            input["image_urls"] = new Newtonsoft.Json.Linq.JArray("https://example.com/a.png");
        }

        return new Newtonsoft.Json.Linq.JObject { ["model"] = model, ["input"] = input }.ToObject<VideoTaskRequest>()!;
    }

    [Fact]
    public void Image_to_video_2_5_turbo_is_priced_like_text_to_video_42_and_84()
    {
        var five = FromJson("""{"model":"kling/v2-5-turbo-image-to-video-pro","input":{"prompt":"p","image_url":"https://example.com/a.png"}}""");
        var ten = FromJson("""{"model":"kling/v2-5-turbo-image-to-video-pro","input":{"prompt":"p","image_url":"https://example.com/a.png","duration":"10"}}""");

        KlingPricing.Document.PriceOf(five).Should().Be(42m, "an absent duration is the service's default, 5 s");
        KlingPricing.Document.PriceOf(ten).Should().Be(84m);
        KlingPricing.Document.UnverifiedModels.Should().NotContain("kling/v2-5-turbo-image-to-video-pro", "kie.ai states this price itself");
    }

    [Theory]
    [InlineData("kling-2.6/text-to-video")]
    [InlineData("kling-2.6/image-to-video")]
    public void Kling_2_6_prices_are_unverified_so_they_are_not_used_until_the_caller_accepts_them(string model)
    {
        KlingPricing.Document.UnverifiedModels.Should().Contain(model);
        KlingPricing.Document.AcceptsUnverifiedPrices.Should().BeFalse();
        KlingPricing.Document.PriceOf(Kling26(model, "5", sound: false)).Should().BeNull("a third-party price is not reserved on its own");
        KlingPricing.Document.Describe(Kling26(model, "5", sound: true)).Should().Contain("unverified").And.Contain("110 credits").And.Contain("WithUnverifiedPrices");

        var accepted = KlingPricing.Document.WithUnverifiedPrices();

        accepted.AcceptsUnverifiedPrices.Should().BeTrue();
        accepted.PriceOf(Kling26(model, "5", sound: false)).Should().Be(55m);
        accepted.PriceOf(Kling26(model, "10", sound: false)).Should().Be(110m);
        accepted.PriceOf(Kling26(model, "5", sound: true)).Should().Be(110m, "sound doubles the price");
        accepted.PriceOf(Kling26(model, "10", sound: true)).Should().Be(220m);
        accepted.Describe(Kling26(model, "10", sound: true)).Should().Contain("220 credits (duration 10, sound true, unverified");
    }

    [Fact]
    public void A_callers_own_price_for_an_unverified_one_is_used_and_the_others_stay_unverified()
    {
        var pricing = KlingPricing.Document.WithPrice("kling-2.6/text-to-video", "5,true", 100m);

        pricing.PriceOf(Kling26("kling-2.6/text-to-video", "5", sound: true)).Should().Be(100m);
        pricing.PriceOf(Kling26("kling-2.6/text-to-video", "5", sound: false)).Should().BeNull();
        pricing.PriceOf(Kling26("kling-2.6/image-to-video", "5", sound: true)).Should().BeNull();
    }

    [Fact]
    public void A_price_key_that_does_not_give_a_value_for_each_priced_input_is_refused()
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, "openapi", "kling.openapi.yaml"))
            .Replace("              '5,false': 55", "              '5': 55", StringComparison.Ordinal);

        FluentActions.Invoking(() => KlingPricing.Parse(text)).Should().Throw<InvalidOperationException>().WithMessage("*'5'*duration, sound*");
    }

    [Fact]
    public async Task A_budgeted_create_of_an_unverified_price_sends_nothing_unless_the_caller_accepts_it()
    {
        await using var simulator = await KlingSimulator.StartAsync(new KlingSimulatorOptions { Credits = 1000, RateLimit = 100, WaitingFor = TimeSpan.FromMilliseconds(50), QueuingFor = TimeSpan.FromMilliseconds(50), GeneratingFor = TimeSpan.FromMilliseconds(50) });
        var budget = new KlingBudget(500m);
        var strict = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl, Budget = budget });
        var request = Kling26("kling-2.6/text-to-video", "5", sound: true);

        var error = (await strict.Invoking(c => c.CreateTaskAsync(request)).Should().ThrowAsync<KlingApiException>()).Which;
        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        error.Message.Should().Contain("unverified").And.Contain("nothing was sent").And.Contain("WithUnverifiedPrices");
        (await strict.GetRemainingCreditsAsync()).Data.Should().Be(1000, "nothing was sent");

        var accepting = new KlingClient(new KlingClientOptions { ApiKey = simulator.ApiKey, BaseUrl = simulator.BaseUrl, Budget = budget, Pricing = KlingPricing.Document.WithUnverifiedPrices() });
        await accepting.CreateTaskAsync(request);

        budget.Spent.Should().Be(110m);
        (await accepting.GetRemainingCreditsAsync()).Data.Should().Be(1000 - 110, "the simulator charges the document's price, unverified or not");
    }
}
