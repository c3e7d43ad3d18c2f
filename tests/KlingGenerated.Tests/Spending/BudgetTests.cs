using KlingGenerated.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace KlingGenerated.Tests.Spending;

/// <summary>
/// One spend gate in the library: every createTask is priced from the document and reserved against the caller's budget
/// before it is sent, on every way to build a client; a reservation is released only when the outcome says no task was created.
/// </summary>
public sealed class BudgetTests
{
    private const string Created = """{"code":200,"msg":"success","data":{"taskId":"task_paid"}}""";

    private static CreateTaskRequest Request(VideoDuration duration = VideoDuration.FiveSeconds) => new() { Input = new CreateTaskInput { Prompt = "p", Duration = duration } };

    private static KlingClient Client(Uri baseUrl, KlingBudget? budget, string? key = null)
    {
        var options = new KlingClientOptions { ApiKey = key ?? "k-" + Guid.NewGuid(), BaseUrl = baseUrl, Budget = budget };
        options.Resilience.BaseDelay = TimeSpan.FromMilliseconds(1);
        options.Resilience.MaxDelay = TimeSpan.FromMilliseconds(5);
        return new KlingClient(options);
    }

    [Theory]
    [InlineData(41)]
    [InlineData(1)]
    [InlineData(0.001)]
    [InlineData(0)]
    public async Task A_cap_below_one_tasks_price_sends_nothing_and_says_why(double cap)
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var budget = new KlingBudget((decimal)cap);

        var error = (await Client(server.BaseUrl, budget).Invoking(c => c.CreateTaskAsync(Request())).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        error.TaskMayExist.Should().BeFalse();
        error.IsRetryable.Should().BeFalse();
        error.Message.Should().Contain("42 credits").And.Contain("nothing was sent");
        server.Requests.Should().BeEmpty();
        budget.Spent.Should().Be(0);
        budget.Reserved.Should().Be(0);
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("fr-FR")]
    [InlineData("en-US")]
    public void Credits_are_printed_exactly_and_with_a_dot_in_any_culture(string culture)
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo(culture);
        try
        {
            KlingBudget.FormatCredits(0.001m).Should().Be("0.001", "a cap of 0.001 credits is not 0");
            KlingBudget.FormatCredits(0.001d).Should().Be("0.001");
            KlingBudget.FormatCredits(84.5d).Should().Be("84.5");
            KlingBudget.FormatCredits(42.50m).Should().Be("42.5");
            KlingBudget.FormatCredits(1234567m).Should().Be("1234567");
            new KlingBudget(0.001m).ToString().Should().StartWith("budget of 0.001 credits").And.EndWith("0.001 left");
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }

    [Theory]
    [InlineData(50, 1)]
    [InlineData(100, 2)]
    [InlineData(126, 3)]
    public async Task A_cap_sends_at_most_what_it_can_pay_for_whatever_the_balance_says(int cap, int expected)
    {
        // The service never reports a cost and the balance never drops: the cap holds all the same.
        await using var server = HostileServer.Start(HostileServer.ByPath(
            ("/api/v1/chat/credit", HostileServer.Answer(200, """{"code":200,"msg":"success","data":10000}""")),
            ("/api/v1/jobs/createTask", HostileServer.Answer(200, Created))));
        var budget = new KlingBudget(cap);
        var client = Client(server.BaseUrl, budget);
        var refused = 0;

        for (var i = 0; i < 10; i++)
        {
            try
            {
                await client.CreateTaskAsync(Request());
            }
            catch (KlingApiException exception) when (exception.Kind == KlingErrorKind.BudgetExceeded)
            {
                refused++;
            }
        }

        server.Requests.Should().HaveCount(expected);
        refused.Should().Be(10 - expected);
        budget.Spent.Should().Be(42 * expected);
        budget.Tasks.Should().Be(expected);
        budget.Left.Should().Be(cap - (42 * expected));
    }

    [Fact]
    public async Task A_10_second_task_reserves_its_own_price()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var budget = new KlingBudget(100);
        var client = Client(server.BaseUrl, budget);

        await client.CreateTaskAsync(Request(VideoDuration.TenSeconds));
        var error = (await client.Invoking(c => c.CreateTaskAsync(Request(VideoDuration.TenSeconds))).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        budget.Spent.Should().Be(84);
        server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task An_answer_that_says_nothing_was_created_gives_the_reservation_back()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, """{"code":422,"msg":"bad prompt","data":null}"""));
        var budget = new KlingBudget(42);

        await Client(server.BaseUrl, budget).Invoking(c => c.CreateTaskAsync(Request())).Should().ThrowAsync<KlingApiException>();

        budget.Spent.Should().Be(0);
        budget.Reserved.Should().Be(0);
        budget.Left.Should().Be(42);
    }

    [Fact]
    public async Task An_answer_that_may_have_created_a_task_keeps_the_credits_spent()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(500, """{"code":500,"msg":"oops","data":null}"""));
        var budget = new KlingBudget(84);
        var client = Client(server.BaseUrl, budget);

        var error = (await client.Invoking(c => c.CreateTaskAsync(Request())).Should().ThrowAsync<KlingApiException>()).Which;

        error.TaskMayExist.Should().BeTrue();
        budget.Spent.Should().Be(42, "a task may exist, so its price stays spent");
        budget.Reserved.Should().Be(0);
    }

    [Fact]
    public async Task Concurrent_creates_never_reserve_past_the_cap()
    {
        await using var server = HostileServer.Start(async exchange =>
        {
            await Task.Delay(50);
            await HostileServer.Answer(200, Created)(exchange);
        });
        var budget = new KlingBudget(42 * 3);
        var options = new KlingClientOptions { ApiKey = "k-" + Guid.NewGuid(), BaseUrl = server.BaseUrl, Budget = budget };
        options.Resilience.CreateTaskPermitLimit = 100;
        var client = new KlingClient(options);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try
            {
                await client.CreateTaskAsync(Request());
                return true;
            }
            catch (KlingApiException exception) when (exception.Kind == KlingErrorKind.BudgetExceeded)
            {
                return false;
            }
        }));

        results.Count(r => r).Should().Be(3);
        server.Requests.Should().HaveCount(3);
        budget.Spent.Should().Be(126);
    }

    [Fact]
    public async Task AddKlingClient_honours_the_budget_in_the_options()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var budget = new KlingBudget(50);
        var services = new ServiceCollection();
        services.AddKlingClient(o =>
        {
            o.ApiKey = "k-" + Guid.NewGuid();
            o.BaseUrl = server.BaseUrl;
            o.Budget = budget;
        });
        using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IKlingClient>();

        await client.CreateTaskAsync(Request());
        var error = (await client.Invoking(c => c.CreateTaskAsync(Request())).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        server.Requests.Should().ContainSingle();
        budget.Spent.Should().Be(42);
    }

    [Fact]
    public async Task A_budget_given_for_one_call_is_reserved_as_well_as_the_clients_own()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var session = new KlingBudget(42);
        var process = new KlingBudget(1000);
        var client = Client(server.BaseUrl, process);

        await client.CreateTaskAsync(Request(), session);
        var error = (await client.Invoking(c => c.CreateTaskAsync(Request(), session)).Should().ThrowAsync<KlingApiException>()).Which;
        await client.CreateTaskAsync(Request()); // without the session's budget: only the client's own applies

        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        session.Spent.Should().Be(42);
        process.Spent.Should().Be(84);
        server.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_price_the_document_does_not_know_is_not_sent_under_a_budget()
    {
        await using var server = HostileServer.Start(HostileServer.Answer(200, Created));
        var options = new KlingClientOptions
        {
            ApiKey = "k-" + Guid.NewGuid(), BaseUrl = server.BaseUrl, Budget = new KlingBudget(1000),
            Pricing = KlingPricing.Parse(File.ReadAllText(Repo.SpecPath).Replace("              '10': 84\n", string.Empty, StringComparison.Ordinal)),
        };

        var error = (await new KlingClient(options).Invoking(c => c.CreateTaskAsync(Request(VideoDuration.TenSeconds))).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        error.Message.Should().Contain("unknown price").And.Contain("WithPrice");
        server.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task A_client_that_is_not_a_KlingClient_is_gated_around_the_call()
    {
        var budget = new KlingBudget(50);
        var (fake, counter) = CountingClient.Create();

        await fake.CreateTaskAsync(Request(), budget);
        var error = (await fake.Invoking(c => c.CreateTaskAsync(Request(), budget)).Should().ThrowAsync<KlingApiException>()).Which;

        error.Kind.Should().Be(KlingErrorKind.BudgetExceeded);
        counter.Creates.Should().Be(1);
        budget.Spent.Should().Be(42);
    }

    /// <summary>An IKlingClient that is not a KlingClient: createTask answers a task id, anything else is not supported.</summary>
    public class CountingClient : System.Reflection.DispatchProxy
    {
        public int Creates;

        public static (IKlingClient Client, CountingClient Counter) Create()
        {
            var proxy = Create<IKlingClient, CountingClient>();
            return (proxy, (CountingClient)(object)proxy);
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IKlingClient.CreateTaskAsync))
            {
                throw new NotSupportedException(targetMethod?.Name);
            }

            Interlocked.Increment(ref Creates);
            return Task.FromResult(new CreateTaskResponse { Code = 200, Data = new CreateTaskData { TaskId = "task_fake" } });
        }
    }
}
