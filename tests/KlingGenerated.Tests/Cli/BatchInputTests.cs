using System.Text;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Tests.Cli;

/// <summary>kling batch reads its file strictly: nothing is sent for a line whose meaning it would have to guess.</summary>
public sealed class BatchInputTests
{
    [Theory]
    [InlineData("aspectRatio", "\"9:16\"", "aspect_ratio")]
    [InlineData("negativePrompt", "\"blur\"", "negative_prompt")]
    [InlineData("cfgScale", "0.5", "cfg_scale")]
    [InlineData("promt", "\"x\"", "prompt")]
    public async Task An_unknown_key_is_refused_before_anything_is_sent_with_the_field_it_probably_means(string key, string value, string meant)
    {
        var (_, stderr) = await RefusedBatch.RunAsync("b.jsonl", $$"""{"prompt":"A kite over dunes","{{key}}":{{value}}}""" + "\n");

        stderr.Should().Contain($"unknown field \"{key}\"").And.Contain($"did you mean \"{meant}\"?").And.Contain("nothing was sent");
    }

    [Theory]
    [InlineData("\"duration\": 5", "write \"duration\": \"5\" (with quotes)")]
    [InlineData("\"aspect_ratio\": 1", "write \"aspect_ratio\": \"1\" (with quotes)")]
    [InlineData("\"cfg_scale\": \"0.5\"", "write \"cfg_scale\": 0.5 (without quotes)")]
    public async Task A_value_of_the_other_JSON_type_is_refused_with_the_exact_fix(string field, string fix)
    {
        var (_, stderr) = await RefusedBatch.RunAsync("b.jsonl", "{\"prompt\":\"A kite\"," + field + "}\n");

        stderr.Should().Contain(fix);
    }

    [Fact]
    public async Task A_line_that_is_not_JSON_shows_the_expected_line_and_mentions_csv()
    {
        var (_, stderr) = await RefusedBatch.RunAsync("prompts.jsonl", "A kite over dunes\n");

        stderr.Should().Contain("prompts.jsonl:1:").And.Contain("{\"id\": \"boat-1\", \"prompt\":").And.Contain(".csv");
    }

    [Fact]
    public async Task A_file_that_is_not_UTF8_is_refused_and_names_the_line()
    {
        var (_, stderr) = await RefusedBatch.RunAsync("latin1.jsonl", [.. Encoding.UTF8.GetBytes("{\"prompt\":\"ok\"}\n{\"prompt\":\"caf"), 0xE9, .. Encoding.UTF8.GetBytes("\"}\n")]);

        stderr.Should().Contain("not valid UTF-8 (line 2)").And.Contain("nothing was sent");
    }

    [Fact]
    public async Task A_CSV_as_a_spreadsheet_exports_it_keeps_quoted_line_breaks_quotes_a_BOM_and_CRLF()
    {
        await using var run = await CliRun.StartAsync();
        var file = Path.Combine(run.Folder, "sheet.csv");
        var csv = "id,prompt,duration,cfg_scale\r\n"
            + "a,\"A boat,\r\nthen a storm\",5,0.5\r\n"
            + "b,\"She said \"\"hello\"\"\",10,\r\n"
            + "c,Plain prompt,,\r\n";
        await File.WriteAllBytesAsync(file, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(csv)]);

        var result = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--json");

        result.ExitCode.Should().Be(0, result.Stderr);
        var sent = run.Simulator.CreatedTasks.Values.Select(p => (JObject)JObject.Parse(p)["input"]!).ToList();
        sent.Select(i => (string)i["prompt"]!).Should().BeEquivalentTo("A boat,\r\nthen a storm", "She said \"hello\"", "Plain prompt");
        var first = sent.Single(i => ((string)i["prompt"]!).StartsWith("A boat", StringComparison.Ordinal));
        ((string)first["duration"]!).Should().Be("5");
        ((double)first["cfg_scale"]!).Should().Be(0.5);
        sent.Single(i => (string)i["prompt"]! == "Plain prompt").Properties().Select(p => p.Name).Should().Equal("prompt");
        JObject.Parse(result.Stdout)["lines"]!.Select(l => (string)l["id"]!).Should().BeEquivalentTo("a", "b", "c");
    }

    [Theory]
    [InlineData("A kite over dunes\n", ":1: not a JSON object: it starts with 'A' where a '{' should open the object.")]
    [InlineData("{\"prompt\":\"A kite\" \"duration\":\"5\"}\n", ":1: not a JSON object: a ',' is missing between two fields, before character 20 ('\"').")]
    [InlineData("{\"prompt\":\"A kite\"\n", ":1: not a JSON object: the line ends before the JSON does")]
    [InlineData("{\"prompt\":\"A kite\",\"duration\":[5]}\n", ":1: \"duration\" must be a JSON string.")]
    public async Task A_line_that_is_not_valid_JSON_is_explained_in_the_user_s_terms_without_the_parser_s_path_and_position(string content, string expected)
    {
        var (file, stderr) = await RefusedBatch.RunAsync("b.jsonl", content);

        stderr.Should().Contain(file + expected).And.NotContain("Path '").And.NotContain(", position ");
    }

    [Fact]
    public async Task Batch_json_carries_the_invalid_lines_in_the_error_when_it_refuses_and_in_the_summary_when_it_skips_them()
    {
        await using var run = await CliRun.StartAsync();
        var file = run.Write("b.jsonl", "{\"id\":\"ok\",\"prompt\":\"A kite\"}\n{\"id\":\"bad\",\"promt\":\"A boat\"}\n");

        var refused = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--json");

        refused.ExitCode.Should().Be(2, refused.Stderr);
        var error = JObject.Parse(refused.Stdout)["error"]!;
        ((string)error["kind"]!).Should().Be("invalid-input");
        ((string)error["message"]!).Should().Contain("error.invalid").And.Contain("nothing was sent");
        error["invalid"]!.Should().ContainSingle();
        ((int)error["invalid"]![0]!["line"]!).Should().Be(2);
        ((string)error["invalid"]![0]!["problem"]!).Should().Contain("unknown field \"promt\"").And.Contain("did you mean \"prompt\"?");
        run.Simulator.RequestCount.Should().Be(0);

        var skipped = await run.RunAsync("batch", file, "--out", Path.Combine(run.Folder, "v"), "--json", "--skip-invalid");

        skipped.ExitCode.Should().Be(0, skipped.Stderr);
        var summary = JObject.Parse(skipped.Stdout);
        summary["invalid"]!.Select(l => (int)l["line"]!).Should().Equal(2);
        summary["lines"]!.Select(l => (string)l["id"]!).Should().Equal("ok");
    }

    [Fact]
    public void A_prompt_that_looks_like_a_date_stays_text()
    {
        var (line, problem) = KlingGenerated.Cli.Batch.JsonLine.Read("{\"prompt\":\"2026-12-07T10:00:00Z\"}");

        problem.Should().BeNull();
        line!["prompt"]!.Type.Should().Be(Newtonsoft.Json.Linq.JTokenType.String);
        ((string)line["prompt"]!).Should().Be("2026-12-07T10:00:00Z");
    }

    [Theory]
    [InlineData("prompt,aspectRatio\nA kite,9:16\n", "unknown column 'aspectRatio'; did you mean 'aspect_ratio'?")]
    [InlineData("prompt,aspect\nA kite,9:16\n", "unknown column 'aspect'; did you mean 'aspect_ratio'?")]
    [InlineData("Prompt,aspect_ratio\nA kite,9:16\n", "Did you mean 'prompt' for 'Prompt'?")]
    [InlineData("prompt;aspect_ratio\nA kite;9:16\n", "this header seems to use ';'")]
    public async Task A_CSV_header_close_to_the_known_columns_gets_a_suggestion(string content, string expected)
    {
        var (_, stderr) = await RefusedBatch.RunAsync("sheet.csv", content);

        stderr.Should().Contain(expected);
    }

    [Theory]
    [InlineData("b.jsonl", "{\"id\":\"ok\",\"prompt\":\"A kite\"}\n{\"id\":\"x\",\"prompt\":\"  \"}\n", ":2: \"prompt\" is empty or only spaces")]
    [InlineData("b.jsonl", "{\"prompt\":\"A kite\"}\n\n{\"prompt\":\"a\",\"prompt\":\"b\"}\n", ":3: the field \"prompt\" appears twice")]
    [InlineData("b.csv", "prompt,id\nA kite,k\n\"   \",x\n", ":3: \"prompt\" is empty or only spaces")]
    [InlineData("b.csv", "prompt,id,prompt\nA kite,k,b\n", ":1: the column 'prompt' appears twice")]
    public async Task A_blank_prompt_or_a_field_given_twice_is_refused_before_anything_is_sent_naming_its_line(string name, string content, string expected)
    {
        var (file, stderr) = await RefusedBatch.RunAsync(name, content);

        stderr.Should().Contain(file + expected).And.Contain("nothing was sent");
    }

    [Fact]
    public async Task A_csv_problem_names_the_file_line_the_record_starts_on_not_its_record_number()
    {
        var (file, stderr) = await RefusedBatch.RunAsync("b.csv", "prompt,id\n\"A kite\nover two\nmore lines\",k\n\n\"   \",x\n");

        stderr.Should().Contain(file + ":6: \"prompt\" is empty or only spaces");
    }
}
