namespace Sift.Privacy;

public sealed class PiiRedactorTests
{
    [Fact]
    public void Personal_data_becomes_numbered_placeholders_and_comes_back_locally()
    {
        const string text = "Hi, my name is Ana Lopez. Mail ana.lopez@customer.example or call +1 415-555-0132; " +
            "card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00. Again: ana.lopez@customer.example";

        var redacted = PiiRedactor.Redact(text);

        Assert.Equal(
            "Hi, my name is [PERSON_1]. Mail [EMAIL_1] or call [PHONE_1]; card [CARD_1], IBAN [IBAN_1]. Again: [EMAIL_1]",
            redacted.Text);
        Assert.Equal(text, redacted.Restore(redacted.Text));
        Assert.Equal("Dear Ana Lopez, we wrote to ana.lopez@customer.example.", redacted.Restore("Dear [PERSON_1], we wrote to [EMAIL_1]."));
    }

    [Theory]
    [InlineData("4111 1111 1111 1112")] // fails Luhn
    [InlineData("DE89 3704 0044 0532 0130 01")] // wrong IBAN check digits
    [InlineData("SSN 000-12-3456")] // area 000 is never issued
    [InlineData("Order 2024-0042 shipped on 2024-05-06")]
    public void Lookalikes_that_fail_their_checks_are_left_alone(string text)
    {
        Assert.Equal(text, PiiRedactor.Redact(text).Text);
    }

    [Theory]
    [InlineData("4111111111111111", true)]
    [InlineData("5500 0000 0000 0004", true)]
    [InlineData("4111111111111112", false)]
    public void Card_numbers_are_checked_with_Luhn(string number, bool valid)
    {
        Assert.Equal(valid, PiiRedactor.Luhn(string.Concat(number.Where(char.IsAsciiDigit))));
    }

    [Theory]
    [InlineData("GB82 WEST 1234 5698 7654 32", true)]
    [InlineData("NL91ABNA0417164300", true)]
    [InlineData("GB82 WEST 1234 5698 7654 33", false)]
    public void IBANs_are_checked_with_their_check_digits(string iban, bool valid)
    {
        Assert.Equal(valid, PiiRedactor.IsIban(iban));
    }

    [Fact]
    public void Street_addresses_and_units_are_found()
    {
        var kinds = PiiRedactor.Find("Ship to 221 Baker Street, Apt 4, or Populierenstraat 374, or 56 rue La Boétie.").Select(s => s.Kind);

        Assert.Equal([PiiRedactor.Address, PiiRedactor.Address, PiiRedactor.Address], kinds);
    }

    [Fact]
    public void Redaction_measured_on_the_presidio_corpus_holds_its_floors()
    {
        if (!File.Exists(Path.Combine(RepoPaths.SharedData, PiiEvaluation.Folder, "pii_spans.jsonl")))
        {
            Assert.Skip($"../shared/data/{PiiEvaluation.Folder} is not present (looked in {RepoPaths.SharedData}).");
        }

        var tallies = PiiEvaluation.Run(RepoPaths.SharedData).ToDictionary(t => t.Kind);

        // The README's figures, rounded down: email, cards and SSNs nearly all; phones and addresses most; names are best effort.
        Assert.True(tallies[PiiRedactor.Email].Recall >= 0.99);
        Assert.True(tallies[PiiRedactor.Card].Recall >= 0.9 && tallies[PiiRedactor.Card].Precision >= 0.99);
        Assert.True(tallies[PiiRedactor.NationalId].Recall >= 0.99);
        Assert.True(tallies[PiiRedactor.Phone].Recall >= 0.85 && tallies[PiiRedactor.Phone].Precision >= 0.7);
        Assert.True(tallies[PiiRedactor.Address].Recall >= 0.5 && tallies[PiiRedactor.Address].Precision >= 0.95);
        Assert.True(tallies[PiiRedactor.Person].Precision >= 0.9);
    }
}
