/**
 * Common passwords long enough to pass the length rule, refused at sign-up (compared trimmed and
 * lower-cased). A small list shipped in the repo, gathered from the usual breach top lists: the
 * length rule already stops the shorter favourites ("password", "12345678").
 */
export const COMMON_PASSWORDS: readonly string[] = [
  "0000000000", "0123456789", "0987654321", "1010101010", "1111111111", "1122334455", "11223344556677",
  "1212121212", "1231231231", "123123123123", "123321123321", "1234512345", "1234567890", "12345678910",
  "123456789012", "1234567890a", "1234567890q", "123456789a", "123456789q", "123456qwerty", "1234qwer",
  "1234qwerasdf", "1234qwerty", "12qwaszx12", "1q2w3e4r5t", "1q2w3e4r5t6y", "1qaz2wsx3edc",
  "1qaz2wsx3edc4rfv", "1qazxsw23edc", "2wsx3edc4rfv", "5555555555", "7777777777", "8888888888",
  "9876543210", "9999999999", "a1b2c3d4e5", "a123456789", "aa12345678", "abc1234567", "abcd123456",
  "abcd1234abcd", "abcdefghij", "abcdefghijk", "admin12345", "admin123456", "adminadmin", "administrator",
  "administrator1", "asdfasdfasdf", "asdfghjkl1", "asdfghjkl;", "asdfghjkl123", "azertyuiop",
  "baseball123", "basketball", "basketball1", "batman12345", "butterfly1", "changeme123", "changeme1234",
  "charlie123", "chelsea123", "chocolate1", "computer123", "dragon1234", "elephant12", "football123",
  "football1234", "fortnite123", "helloworld", "helloworld1", "helloworld123", "iloveyou12", "iloveyou123",
  "iloveyou!!", "internet123", "jennifer123", "jordan2323", "letmein123", "letmein1234", "letmeinnow",
  "liverpool1", "liverpool123", "loveyou123", "manchester", "master1234", "metallica1", "metergate",
  "metergate1", "metergate123", "metergate2026", "michael123", "minecraft1", "minecraft123", "monkey12345",
  "mypassword", "mypassword1", "mypassword123", "p@ssw0rd123", "p@ssword123", "passw0rd123", "password!1",
  "password01", "password1!", "password12", "password123", "password123!", "password1234", "password12345",
  "password2024", "password2025", "password2026", "passwordpassword", "password1password", "pokemon123",
  "princess123", "q1w2e3r4t5", "q1w2e3r4t5y6", "qazwsxedc123", "qazwsxedcrfv", "qwerty123!", "qwerty1234",
  "qwerty12345", "qwerty123456", "qwertyqwerty", "qwertyuiop", "qwertyuiop1", "qwertyuiop123", "rootroot12",
  "secret1234", "secretpassword", "shadow1234", "starwars123", "sunshine123", "superman123",
  "thisismypassword", "trustno1234", "welcome123", "welcome1234", "whatever123", "zaq12wsxcde3",
  "zaq1zaq1zaq1", "zxcvbnm123", "zxcvbnmasd", "zxcvbnm,./", "!@#$%^&*()", "1q2w3e4r!", "qwe123qwe123",
];
