package specmap

import "github.com/retention-dev/retention-operator/api/v1alpha1"

// SendTopic is the step's topic, v1alpha1.DefaultTopic when it names none.
func SendTopic(s *v1alpha1.SendStep) string {
	if s.Topic == "" {
		return v1alpha1.DefaultTopic
	}
	return s.Topic
}
