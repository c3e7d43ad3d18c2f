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
}
