using System.CommandLine;
using System.Text;
using KlingGenerated.OpenApi;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace KlingGenerated.Cli;

/// <summary>
/// <c>kling generate</c>'s model and input options, read from the OpenAPI document: <c>--model</c> takes the document's
/// models, every input field of any model gets an option (<c>--tail-image-url</c>, <c>--sound</c>, ...), and <c>--image</c>
/// fills the chosen model's required image URL field. An option the chosen model does not have is refused.
/// </summary>
// No model id is written here: a model added to the document gets its options, and --model lists it.
internal sealed class ModelInputs
{
    private readonly List<(string Field, Option Option, Func<ParseResult, JToken?> Read)> _fields = [];

    private ModelInputs(Option<string> model, Option<string?> image)
    {
        Model = model;
        Image = image;
    }

    /// <summary><c>--model</c>: one of the document's models; omitted, the model of <see cref="CreateTaskRequest"/>.</summary>
    public Option<string> Model { get; }

    /// <summary><c>--image</c>: the URL of the first frame, for a model with a required image URL field.</summary>
    public Option<string?> Image { get; }

    /// <summary>The options this adds to the command (the ones it was given are declared by the command already).</summary>
    public IEnumerable<Option> NewOptions => [Model, Image, .. _fields.Where(f => f.Option is not null && !_given.Contains(f.Option)).Select(f => f.Option)];

    private readonly HashSet<Option> _given = [];

    /// <summary>
    /// The options for every input field of the document's models. <paramref name="declared"/> are options the command
    /// already declares for some fields, each with how to read its value as JSON.
    /// </summary>
    public static ModelInputs Create(IReadOnlyDictionary<string, (Option Option, Func<ParseResult, JToken?> Read)> declared)
    {
        var models = KlingModels.All;
        var model = new Option<string>("--model")
        {
            Description = $"The model: {string.Join(", ", models.Select(m => m.Id))} (`kling models` lists each one's inputs).",
            HelpName = "model",
            DefaultValueFactory = _ => KlingModels.ModelOf(typeof(CreateTaskRequest)),
        };
        model.AcceptOnlyFromAmong([.. models.Select(m => m.Id)]);
        var image = new Option<string?>("--image") { Description = "The first frame's image URL, for an image-to-video model (its required image field)." };
        var inputs = new ModelInputs(model, image);
        foreach (var (name, field) in models.SelectMany(m => m.Inputs).Where(f => f.Name != "prompt").GroupBy(f => f.Name).Select(g => (g.Key, g.First())))
        {
            if (declared.TryGetValue(name, out var known))
            {
                inputs._given.Add(known.Option);
                inputs._fields.Add((name, known.Option, known.Read));
                continue;
            }

            var optionName = "--" + name.Replace('_', '-');
            var description = field.Description ?? name;
            switch (field.Type)
            {
                case "boolean":
                {
                    var option = new Option<bool?>(optionName) { Description = description, Arity = ArgumentArity.ZeroOrOne };
                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { } value ? new JValue(value) : null));
                    break;
                }

                case "array":
                {
                    var option = new Option<string[]?>(optionName) { Description = description + " (repeat the option for each item)" };
                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { Length: > 0 } values ? new JArray(values) : null));
                    break;
                }

                case "number" or "integer":
                {
                    var option = NumberOption.Create(optionName, description, "a number");
                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { } value ? new JValue(value) : null));
                    break;
                }

                default:
                {
                    var option = new Option<string?>(optionName) { Description = description };
                    if (field.Values is { Count: > 0 } values)
                    {
                        option.AcceptOnlyFromAmong([.. values]);
                    }

                    inputs._fields.Add((name, option, parse => parse.GetValue(option) is { } value ? new JValue(value) : null));
                    break;
                }
            }
        }

        return inputs;
    }

    /// <summary>
    /// The request for the chosen model, checked against the document before anything is sent: an option the model does
    /// not have, or a value its schema refuses, is a usage error naming the model and the field.
    /// </summary>
    public VideoTaskRequest Build(ParseResult parse, string prompt, Uri? callBack)
    {
        var model = KlingModels.Find(parse.GetValue(Model)) ?? throw new UsageException($"--model must be one of {string.Join(", ", KlingModels.All.Select(m => m.Id))}.");
        var input = new JObject { ["prompt"] = prompt };
        foreach (var (field, option, read) in _fields)
        {
            if (read(parse) is not { } value)
            {
                continue;
            }

            if (model.Input(field) is null)
            {
                throw new UsageException($"{option.Name}: the model {model.Id} has no {field} (its inputs: {string.Join(", ", model.Inputs.Select(f => f.Name))}). Nothing was sent.");
            }

            input[field] = value;
        }

        if (parse.GetValue(Image) is { } image)
        {
            var imageField = model.Inputs.FirstOrDefault(f => f.Required && f.Format == "uri")
                ?? throw new UsageException($"--image: the model {model.Id} takes no image (its inputs: {string.Join(", ", model.Inputs.Select(f => f.Name))}). Nothing was sent.");
            if (!Uri.TryCreate(image, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                throw new UsageException(File.Exists(image)
                    ? $"--image '{TerminalText.Safe(image)}' is a local file: upload it first (kie.ai's File Upload API) and pass its fileUrl; uploading from the CLI is not available yet. Nothing was sent."
                    : $"--image must be the http(s) URL of a JPEG or PNG image, not '{TerminalText.Safe(image)}'. Nothing was sent.");
            }

            input[imageField.Name] = imageField.Type == "array" ? new JArray(image) : image;
        }

        var body = new JObject { ["model"] = model.Id };
        if (callBack is not null)
        {
            body["callBackUrl"] = callBack.OriginalString;
        }

        body["input"] = input;
        // A body the model's type can carry goes to the library, which checks it and the ledger records a refusal as not
        // sent; one it cannot carry (a required input missing) is refused here, with the document's own sentences.
        try
        {
            return body.ToObject<VideoTaskRequest>()!;
        }
        catch (JsonException)
        {
            var problems = KlingOpenApiContract.ValidateOperationBody("CreateTask", new MemoryStream(Encoding.UTF8.GetBytes(body.ToString(Formatting.None))));
            throw new System.ComponentModel.DataAnnotations.ValidationException(string.Join(" ", problems));
        }
    }
}
